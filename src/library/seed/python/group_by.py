def group_by(rows, key):
    """Rows grouped by the string form of one field, groups in order of first appearance; rows without the field go under ""."""
    groups = {}
    for row in rows:
        value = row.get(key, "")
        label = value if isinstance(value, str) else ("" if value is None else str(value).lower() if isinstance(value, bool) else str(value))
        groups.setdefault(label, []).append(row)
    return groups
