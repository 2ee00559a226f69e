import math


def gcd_lcm(numbers):
    """Greatest common divisor and least common multiple of whole numbers (lcm is 0 when any is 0)."""
    if not numbers:
        raise ValueError("gcd_lcm needs at least one number")
    return {"gcd": math.gcd(*numbers), "lcm": math.lcm(*numbers)}
