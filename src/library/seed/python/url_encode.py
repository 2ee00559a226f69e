from urllib.parse import quote


def url_encode(text, safe=""):
    """Percent-encodes a text's UTF-8 bytes for a URL component; characters in `safe` are kept."""
    return quote(text, safe=safe)
