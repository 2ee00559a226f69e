import re

_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?"


def _trim(url):
    # Closing brackets belong to the URL only when it opened them (Wikipedia links, markdown).
    while url and (url[-1] in _TRAILING or (url[-1] in ")]}" and url.count(url[-1]) > url.count({")": "(", "]": "[", "}": "{"}[url[-1]]))):
        url = url[:-1]
    return url


def extract_urls(text):
    """http(s) URLs in order of first appearance, each once, without trailing punctuation."""
    found = []
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        if url not in found and len(url) > len("https://"):
            found.append(url)
    return found
