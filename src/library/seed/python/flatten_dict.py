def flatten_dict(data, separator="."):
    """Nested objects to one level, keys joined by `separator`; lists and empty objects are kept as values."""
    flat = {}

    def walk(node, prefix):
        for key, value in node.items():
            name = key if not prefix else prefix + separator + key
            if isinstance(value, dict) and value:
                walk(value, name)
            else:
                flat[name] = value

    walk(data, "")
    return flat
