import re
import unicodedata


def slugify(text, separator="-"):
    """URL slug: accents folded to ASCII, lower case, runs of anything else become one separator."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    words = re.findall(r"[a-z0-9]+", folded.lower())
    return separator.join(words)
