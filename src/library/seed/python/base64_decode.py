import base64
import binascii


def base64_decode(data):
    """Text from Base64 of UTF-8 (standard or URL-safe alphabet, padding optional); invalid input raises."""
    s = "".join(data.split()).replace("-", "+").replace("_", "/")
    s += "=" * (-len(s) % 4)
    try:
        return base64.b64decode(s, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as e:
        raise ValueError("not Base64 of UTF-8 text: %s" % (e,)) from None
