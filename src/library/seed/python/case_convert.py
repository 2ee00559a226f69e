import re


def _words(text):
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def case_convert(text, style):
    """Re-cases an identifier or phrase: snake, kebab, camel, pascal, constant or title."""
    words = _words(text)
    lower = [w.lower() for w in words]
    if style == "snake":
        return "_".join(lower)
    if style == "kebab":
        return "-".join(lower)
    if style == "constant":
        return "_".join(w.upper() for w in words)
    if style == "camel":
        return "".join(w if i == 0 else w.capitalize() for i, w in enumerate(lower))
    if style == "pascal":
        return "".join(w.capitalize() for w in lower)
    if style == "title":
        return " ".join(w.capitalize() for w in lower)
    raise ValueError("unknown style %r" % (style,))
