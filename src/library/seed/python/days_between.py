import datetime


def days_between(start, end):
    """Whole days from `start` to `end` (ISO dates, YYYY-MM-DD); negative when `end` is earlier."""
    return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days
