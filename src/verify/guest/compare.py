"""EvalPlus's output comparison, run as trusted code in its own sandbox session.

The candidate's outputs come back from its own (untrusted) session as tagged JSON and are compared
here, in a separate interpreter the candidate never touches, with Python's own semantics: `==`,
`isinstance(x, float)`, `set(...)`. No numpy: `allclose` is written out as numpy defines it
(|a - b| <= atol + rtol * |b|, elementwise, with broadcasting over nested lists and tuples).

`compare(outputs, expected, inputs, atol, oracle, compat)` returns the index of the first output
that does not match (or -1) and the tolerance in force after it. `compat="evalplus-0.2.0"`
reproduces that release's quirks: the find_zero oracle always fails, `[]` counts as a list of
floats (switching the tolerance on), and a non-exact float match fails (numpy.testing could not be
imported under its reliability guard).
"""

import math


def _is_floats(x, legacy):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)):
        if not x:
            return legacy
        return all(isinstance(i, float) for i in x)
    return False


def _flatten(x):
    if isinstance(x, (list, tuple)):
        out = []
        for i in x:
            out.extend(_flatten(i))
        return out
    return [x]


def _shape(x):
    if isinstance(x, (list, tuple)):
        return (len(x),) + (_shape(x[0]) if x else ())
    return ()


def _allclose(out, exp, atol, rtol=1e-07):
    if _shape(out) != _shape(exp):
        if _shape(out) == () or _shape(exp) == ():
            a = _flatten(out)
            b = _flatten(exp)
            if len(a) == 1:
                a = a * len(b)
            elif len(b) == 1:
                b = b * len(a)
            else:
                return False
        else:
            return False
    else:
        a, b = _flatten(out), _flatten(exp)
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        try:
            x = complex(x) if isinstance(x, complex) else float(x)
            y = complex(y) if isinstance(y, complex) else float(y)
        except (TypeError, ValueError):
            return False
        if isinstance(x, complex) or isinstance(y, complex):
            if abs(x - y) > atol + rtol * abs(y):
                return False
            continue
        if math.isnan(x) or math.isnan(y):
            return False
        if math.isinf(x) or math.isinf(y):
            if x != y:
                return False
            continue
        if abs(x - y) > atol + rtol * abs(y):
            return False
    return True


def _poly(xs, x):
    return sum(coeff * math.pow(x, i) for i, coeff in enumerate(xs))


def _surface_area(b, s):
    return round(b**2 + 2 * b * math.sqrt((b / 2) ** 2 + s**2))


def _digit_distance(n1, n2):
    s1, s2 = str(n1), str(n2)
    width = max(len(s1), len(s2))
    return sum(abs(int(a) - int(b)) for a, b in zip(s1.zfill(width), s2.zfill(width)))


def _matches(out, exp, inp, atol, oracle, legacy):
    """True/False for one output; atol is already the effective tolerance."""
    if oracle == "find_zero":
        if legacy:
            return False
        try:
            return abs(_poly(*inp, out)) <= atol
        except Exception:
            return False
    try:
        exact = out == exp
    except Exception:
        exact = False
    if oracle == "set_eq":
        try:
            exact = set(out) == set(exp)
        except Exception:
            exact = False
    elif oracle == "not_none":
        exact = (out == exp) if isinstance(out, bool) else (exp == (out is not None))
    elif oracle == "surface_area" and not exact:
        try:
            exact = abs(out - _surface_area(*inp)) <= atol
        except Exception:
            exact = False
    elif oracle == "digit_distance" and not exact:
        try:
            exact = out == _digit_distance(*inp)
        except Exception:
            exact = False
    if exact is not True and exact is not False:
        try:
            exact = bool(exact)
        except Exception:
            exact = False
    if not exact and atol != 0:
        if legacy:
            return False
        if type(out) is not type(exp):
            return False
        if isinstance(exp, (list, tuple)) and len(out) != len(exp):
            return False
        return _allclose(out, exp, atol)
    return exact


def compare(outputs, expected, inputs, atol, oracle=None, compat=None):
    """[index of the first output that does not match (or -1), the tolerance in force after].

    As in EvalPlus, a float output with no task tolerance switches on atol=1e-6 for that input and
    every later one; the caller passes the returned tolerance back in with the next chunk."""
    legacy = compat == "evalplus-0.2.0"
    for i, (out, exp, inp) in enumerate(zip(outputs, expected, inputs)):
        if atol == 0 and _is_floats(exp, legacy):
            atol = 1e-6
        if not _matches(out, exp, inp, atol, oracle, legacy):
            return [i, atol]
    return [-1, atol]
