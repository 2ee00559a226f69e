def text_summary(text):
    """Counts and contacts of a text in one call: word_count, the e-mail addresses and URLs it mentions, and its reading time."""
    counts = word_count(text)
    return {
        "words": counts["words"],
        "lines": counts["lines"],
        "emails": extract_emails(text),
        "urls": extract_urls(text),
        "minutes": reading_time(text, 230)["minutes"],
    }
