import difflib


def diff_lines(before, after, context=3):
    """Unified diff of two texts, line by line, as a list of lines (empty when they are equal)."""
    return list(
        difflib.unified_diff(before.splitlines(), after.splitlines(), fromfile="before", tofile="after", n=context, lineterm="")
    )
