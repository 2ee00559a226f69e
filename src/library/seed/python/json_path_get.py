import re

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]|\[\"((?:[^\"\\]|\\.)*)\"\]")


def json_path_get(data, path, default=None):
    """Value at a path like `$.users[0].name` or `items[-1]["a key"]`; `default` when it is absent."""
    rest = path.strip()
    if rest.startswith("$"):
        rest = rest[1:]
    if rest and not rest.startswith((".", "[")):
        rest = "." + rest
    node = data
    pos = 0
    while pos < len(rest):
        m = _STEP.match(rest, pos)
        if m is None:
            raise ValueError("bad path at %r" % (rest[pos:],))
        pos = m.end()
        key, index, quoted = m.group(1), m.group(2), m.group(3)
        if index is not None:
            if not isinstance(node, list):
                return default
            i = int(index)
            if not -len(node) <= i < len(node):
                return default
            node = node[i]
        else:
            name = key if key is not None else re.sub(r"\\(.)", r"\1", quoted)
            if not isinstance(node, dict) or name not in node:
                return default
            node = node[name]
    return node
