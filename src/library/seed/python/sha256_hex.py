import hashlib


def sha256_hex(text):
    """SHA-256 digest of a text's UTF-8 bytes, as 64 lower-case hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
