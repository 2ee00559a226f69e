import re


def word_count(text):
    """Words (runs of letters, digits, apostrophes and hyphens), lines and characters of a text."""
    words = re.findall(r"[\w][\w'\-]*", text)
    return {"words": len(words), "lines": len(text.splitlines()), "characters": len(text)}
