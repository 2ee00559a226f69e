"""Trusted guest code for ranking: a canonical fingerprint of a value, equal for values Python's
`==` calls equal across types (1 == 1.0 == True, set == frozenset), floats to 10 significant
digits. Loaded with rank_exec.py into the ranking helper's session.
"""

import hashlib
import math

class _Budget(Exception):
    pass


def _canon(value, out, budget, depth=0):
    """A canonical text of a value that follows Python's `==` where types differ but compare
    equal (1 == 1.0 == True, set == frozenset), floats to 10 significant digits."""
    budget[0] -= 1
    if budget[0] < 0 or depth > 100:
        raise _Budget()
    t = type(value)
    if value is None:
        out.append("N")
    elif t is bool or t is int:
        v = int(value)
        out.append("i%x" % v)
    elif t is float:
        if math.isnan(value):
            out.append("fnan")
        elif value.is_integer() and abs(value) < 2**63:
            out.append("i%x" % int(value))
        else:
            out.append("f" + ("%.10g" % value))
    elif t is str:
        out.append("s%d:" % len(value))
        out.append(value)
    elif t is list or t is tuple:
        out.append("L[" if t is list else "T[")
        for x in value:
            _canon(x, out, budget, depth + 1)
            out.append(",")
        out.append("]")
    elif t is set or t is frozenset:
        parts = []
        for x in value:
            sub = []
            _canon(x, sub, budget, depth + 1)
            parts.append("".join(sub))
        out.append("S{" + ",".join(sorted(parts)) + "}")
    elif t is dict:
        parts = []
        for k, v in value.items():
            sub = []
            _canon(k, sub, budget, depth + 1)
            sub.append(":")
            _canon(v, sub, budget, depth + 1)
            parts.append("".join(sub))
        out.append("D{" + ",".join(sorted(parts)) + "}")
    elif t is bytes or t is bytearray:
        out.append("y" + bytes(value).hex())
    elif t is complex:
        out.append("c%.10g,%.10g" % (value.real, value.imag))
    else:
        out.append("o" + t.__name__ + ":" + repr(value)[:1000])


def _fingerprint(value):
    out = []
    try:
        _canon(value, out, [1_000_000])
    except _Budget:
        out.append("...")
    h = hashlib.blake2b(digest_size=8)
    for piece in out:
        h.update(piece.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()
