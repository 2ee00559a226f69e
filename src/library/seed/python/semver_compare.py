import re

_SEMVER = re.compile(r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")


def _parse(version):
    m = _SEMVER.match(version.strip())
    if m is None:
        raise ValueError("%r is not a semantic version" % (version,))
    pre = m.group(4)
    return [int(m.group(i)) for i in (1, 2, 3)], (pre.split(".") if pre else None)


def semver_compare(a, b):
    """-1, 0 or 1 as version a is lower than, equal to or higher than b (Semantic Versioning 2.0.0 precedence)."""
    (ca, pa), (cb, pb) = _parse(a), _parse(b)
    if ca != cb:
        return -1 if ca < cb else 1
    if pa is None or pb is None:
        return 0 if pa == pb else (1 if pa is None else -1)
    for x, y in zip(pa, pb):
        if x == y:
            continue
        xn, yn = x.isdigit(), y.isdigit()
        if xn and yn:
            return -1 if int(x) < int(y) else 1
        if xn != yn:
            return -1 if xn else 1
        return -1 if x < y else 1
    return (len(pa) > len(pb)) - (len(pa) < len(pb))
