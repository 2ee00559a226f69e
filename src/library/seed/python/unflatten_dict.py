def unflatten_dict(data, separator="."):
    """The inverse of flatten_dict: `{"a.b": 1}` becomes `{"a": {"b": 1}}`; conflicting keys raise."""
    nested = {}
    for key, value in data.items():
        parts = key.split(separator)
        node = nested
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError("key %r conflicts with a value at %r" % (key, part))
            node = child
        if parts[-1] in node:
            raise ValueError("key %r conflicts with a nested object" % (key,))
        node[parts[-1]] = value
    return nested
