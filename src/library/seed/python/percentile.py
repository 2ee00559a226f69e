import math


def percentile(numbers, p):
    """The p-th percentile (0..100) with linear interpolation between closest ranks (NumPy's default)."""
    if not numbers:
        raise ValueError("percentile needs at least one number")
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    values = sorted(float(x) for x in numbers)
    rank = (len(values) - 1) * p / 100
    lo = math.floor(rank)
    hi = math.ceil(rank)
    return values[lo] + (values[hi] - values[lo]) * (rank - lo)
