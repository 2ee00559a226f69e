import re

_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_CANONICAL = re.compile(r"^M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")


def from_roman(numeral):
    """Value of a Roman numeral in standard form (case-insensitive); malformed numerals raise."""
    s = numeral.strip().upper()
    if not s or not _CANONICAL.match(s):
        raise ValueError("%r is not a Roman numeral in standard form" % (numeral,))
    total = 0
    for i, ch in enumerate(s):
        value = _VALUES[ch]
        if i + 1 < len(s) and _VALUES[s[i + 1]] > value:
            total -= value
        else:
            total += value
    return total
