import datetime


def business_days(start, end, holidays=None):
    """Weekdays (Monday to Friday) from `start` inclusive to `end` exclusive, minus the given holiday dates."""
    first = datetime.date.fromisoformat(start)
    last = datetime.date.fromisoformat(end)
    if last < first:
        return -business_days(end, start, holidays)
    off = {datetime.date.fromisoformat(h) for h in (holidays or [])}
    total = last - first
    weeks, extra = divmod(total.days, 7)
    count = weeks * 5
    for i in range(extra):
        if (first + datetime.timedelta(days=weeks * 7 + i)).weekday() < 5:
            count += 1
    count -= sum(1 for h in off if first <= h < last and h.weekday() < 5)
    return count
