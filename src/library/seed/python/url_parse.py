from urllib.parse import parse_qs, urlsplit


def url_parse(url):
    """Parts of a URL: scheme, host, port (null when absent), path, query (each key to its list of values) and fragment."""
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        raise ValueError("%r is not an absolute URL" % (url,))
    return {
        "scheme": parts.scheme.lower(),
        "host": (parts.hostname or "").lower(),
        "port": parts.port,
        "path": parts.path or "/",
        "query": parse_qs(parts.query, keep_blank_values=True),
        "fragment": parts.fragment,
    }
