import base64


def base64_encode(text, url_safe=False):
    """Base64 of the UTF-8 bytes of a text (RFC 4648; the URL-safe alphabet on request)."""
    data = text.encode("utf-8")
    return (base64.urlsafe_b64encode(data) if url_safe else base64.b64encode(data)).decode("ascii")
