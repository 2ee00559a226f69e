_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def convert_base(value, from_base, to_base):
    """A whole number written in base `from_base` (2..36), rewritten in base `to_base` (lower-case digits)."""
    if not (2 <= from_base <= 36 and 2 <= to_base <= 36):
        raise ValueError("bases must be between 2 and 36")
    n = int(value.strip(), from_base)
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    n = abs(n)
    digits = []
    while n:
        n, r = divmod(n, to_base)
        digits.append(_DIGITS[r])
    return sign + "".join(reversed(digits))
