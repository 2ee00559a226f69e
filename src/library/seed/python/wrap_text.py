import textwrap


def wrap_text(text, width=70):
    """Re-flows each paragraph (blank-line separated) to lines of at most `width` characters."""
    if width < 1:
        raise ValueError("width must be at least 1")
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n")]
    return "\n\n".join(textwrap.fill(" ".join(p.split()), width=width, break_on_hyphens=False) for p in paragraphs)
