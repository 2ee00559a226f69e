import json


def dedupe(items):
    """Items without repeats, first occurrence kept, order kept (objects compared by content)."""
    seen = set()
    out = []
    for item in items:
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out
