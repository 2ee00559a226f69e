import math


def reading_time(text, words_per_minute=230):
    """Estimated reading time of a text in whole minutes (at least 1 for a non-empty text), from the library tool word_count."""
    if words_per_minute <= 0:
        raise ValueError("words_per_minute must be positive")
    words = tools.word_count(text)["words"]
    return {"words": words, "minutes": math.ceil(words / words_per_minute) if words else 0}
