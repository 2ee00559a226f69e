import functools


def semver_sort(versions, descending=False):
    """Semantic versions in precedence order (stable for equal ones), using the library tool semver_compare."""
    return sorted(versions, key=functools.cmp_to_key(semver_compare), reverse=descending)
