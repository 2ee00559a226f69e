import re

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")


def extract_emails(text):
    """E-mail addresses in order of first appearance, each once (compared case-insensitively)."""
    seen = set()
    found = []
    for match in _EMAIL.finditer(text):
        address = match.group(0).strip(".")
        key = address.lower()
        if key not in seen:
            seen.add(key)
            found.append(address)
    return found
