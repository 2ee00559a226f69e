import datetime


def date_add(date, days):
    """The ISO date `days` days after `date` (before it when negative)."""
    return (datetime.date.fromisoformat(date) + datetime.timedelta(days=days)).isoformat()
