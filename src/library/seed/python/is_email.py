import re

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


def is_email(text):
    """True for a plausible address: dot-atom local part, a domain of valid labels with an alphabetic TLD."""
    if len(text) > 254 or text.count("@") != 1:
        return False
    local, domain = text.split("@")
    if not local or len(local) > 64 or not _LOCAL.match(local):
        return False
    labels = domain.split(".")
    return len(labels) >= 2 and all(_LABEL.match(l) for l in labels) and labels[-1].isalpha() and len(labels[-1]) >= 2
