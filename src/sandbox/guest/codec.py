"""Tagged JSON: the only way values cross the sandbox boundary (never pickle).

Plain JSON carries None, bools, str, safe ints, finite floats, lists and str-keyed dicts. Everything
else is an object {"$t": tag, "v": ...}: tuple, set, frozenset, bytes (base64), int (hex or decimal
text, beyond 2**53), complex ([real, imag]), float (nan, inf, -inf, -0.0, and integral floats so 1.0 stays a float), dict (pairs,
for non-str keys or a literal "$t" key), exc (type, message, traceback) and repr (a value with no
JSON form, sent as its repr so the caller sees what it was). The host side is codec.ts.
"""

import base64
import json
import math

SAFE_INT = 2**53 - 1


def encode(value, depth=0):
    if depth > 200:
        raise ValueError("value nests deeper than 200 levels")
    d = depth + 1
    if value is None or value is True or value is False or isinstance(value, str):
        return value
    t = type(value)
    if t is int or (isinstance(value, int) and not isinstance(value, bool)):
        v = int(value)
        # Hex, not decimal: linear time and no 4300-digit limit for the million-digit ints some
        # benchmarks return.
        return v if -SAFE_INT <= v <= SAFE_INT else {"$t": "int", "v": hex(v)}
    if isinstance(value, float):
        if math.isnan(value):
            return {"$t": "float", "v": "nan"}
        if math.isinf(value):
            return {"$t": "float", "v": "inf" if value > 0 else "-inf"}
        if value == 0.0 and math.copysign(1.0, value) < 0:
            return {"$t": "float", "v": "-0.0"}
        if value.is_integer():
            return {"$t": "float", "v": repr(float(value))}
        return float(value)
    if isinstance(value, complex):
        return {"$t": "complex", "v": [encode(value.real, d), encode(value.imag, d)]}
    if isinstance(value, list):
        return _items(value, d)
    if isinstance(value, tuple):
        return {"$t": "tuple", "v": _items(value, d)}
    if isinstance(value, frozenset):
        return {"$t": "frozenset", "v": [encode(x, d) for x in _ordered(value)]}
    if isinstance(value, set):
        return {"$t": "set", "v": [encode(x, d) for x in _ordered(value)]}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$t": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        if all(type(k) is str for k in value) and "$t" not in value:
            return {k: encode(v, d) for k, v in value.items()}
        return {"$t": "dict", "v": [[encode(k, d), encode(v, d)] for k, v in value.items()]}
    if isinstance(value, BaseException):
        return encode_exception(value)
    return {"$t": "repr", "v": _safe_repr(value)}


def _items(values, d):
    # Plain ints, strings and non-integral finite floats are their own wire form: test them inline,
    # without a call per item, since benchmarks return lists of a million numbers.
    return [
        x
        if (type(x) is int and -SAFE_INT <= x <= SAFE_INT)
        or type(x) is str
        or (type(x) is float and math.isfinite(x) and not x.is_integer())
        else encode(x, d)
        for x in values
    ]


def _ordered(items):
    try:
        return sorted(items)
    except Exception:
        return list(items)


def _safe_repr(value):
    try:
        return repr(value)[:10000]
    except Exception as e:  # a hostile __repr__ must not break the harness
        return "<unrepresentable %s: %s>" % (type(value).__name__, type(e).__name__)


def encode_exception(exc, tb_text=None):
    try:
        message = str(exc)
    except Exception:
        message = "<unprintable>"
    return {
        "$t": "exc",
        "v": {
            "type": type(exc).__name__,
            "message": message[:10000],
            "traceback": (tb_text or "")[-20000:],
        },
    }


def decode(obj, depth=0):
    if depth > 200:
        raise ValueError("value nests deeper than 200 levels")
    d = depth + 1
    if isinstance(obj, list):
        return [decode(x, d) for x in obj]
    if not isinstance(obj, dict):
        return obj
    if "$t" not in obj:
        return {k: decode(v, d) for k, v in obj.items()}
    tag, v = obj["$t"], obj.get("v")
    if tag == "tuple":
        return tuple(decode(x, d) for x in v)
    if tag == "set":
        return set(decode(x, d) for x in v)
    if tag == "frozenset":
        return frozenset(decode(x, d) for x in v)
    if tag == "bytes":
        return base64.b64decode(v)
    if tag == "int":
        return int(v, 0) if isinstance(v, str) and v.lstrip("-")[:2] in ("0x", "0X") else int(v)
    if tag == "complex":
        return complex(decode(v[0], d), decode(v[1], d))
    if tag == "float":
        return float(v)
    if tag == "dict":
        return {decode(k, d): decode(x, d) for k, x in v}
    if tag == "exc":
        return RuntimeError("%s: %s" % (v.get("type"), v.get("message")))
    if tag == "repr":
        return v
    raise ValueError("unknown tag %r" % (tag,))
