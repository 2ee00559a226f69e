import math
import statistics


def stats_summary(numbers):
    """count, mean, median, min, max, sample standard deviation (0 for one number) and sum."""
    if not numbers:
        raise ValueError("stats_summary needs at least one number")
    values = [float(x) for x in numbers]
    if not all(math.isfinite(v) for v in values):
        raise ValueError("numbers must be finite")
    return {
        "count": len(values),
        "sum": math.fsum(values),
        "mean": statistics.fmean(values),
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
    }
