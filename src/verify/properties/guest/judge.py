"""Runs a property's predicate on an input and the candidate's output, inside the sandbox.

Executed as a cell in the session that loaded the property code, never in the candidate's
interpreter: the candidate reaches this code only through its output, which arrives as data
(tagged JSON, decoded by the harness). Answers [verdict, message, exception-or-None] where verdict is
"pass", "false", "assertion", "predicate_error" or "discard" (from `pre`).
"""


def __crucible_judge__(name, args, result):
    import traceback as _tb

    fn = globals().get(name)
    if fn is None or not callable(fn):
        raise NameError("the property code defines no function %r" % (name,))
    try:
        out = fn(*args, result)
    except AssertionError as e:
        return ["assertion", str(e) or "assertion failed: " + __crucible_last_line(e), __crucible_describe(e, _tb)]
    except Exception as e:  # noqa: BLE001 - any other exception is a failure of the property too
        return ["predicate_error", "%s: %s" % (type(e).__name__, e), __crucible_describe(e, _tb)]
    if out is None or out is True:
        return ["pass", "", None]
    try:
        holds = bool(out)
    except Exception as e:  # noqa: BLE001
        return ["predicate_error", "the predicate returned %s, which has no truth value" % type(out).__name__, __crucible_describe(e, _tb)]
    return ["pass", "", None] if holds else ["false", "%s returned %s" % (name, __crucible_short(out)), None]


def __crucible_pre__(args):
    """False when the property's `pre(*args)` rejects the input (a missing `pre` accepts everything)."""
    fn = globals().get("pre")
    if fn is None or not callable(fn):
        return True
    return bool(fn(*args))


def __crucible_has_pre__():
    fn = globals().get("pre")
    return fn is not None and callable(fn)


def __crucible_defines__(name):
    return callable(globals().get(name))


def __crucible_last_line(e):
    import traceback as _tb

    frames = _tb.extract_tb(e.__traceback__)
    return (frames[-1].line or "") if frames else ""


def __crucible_describe(e, tb):
    return {
        "type": type(e).__name__,
        "message": str(e)[:2000],
        "traceback": "".join(tb.format_exception(type(e), e, e.__traceback__))[-4000:],
    }


def __crucible_short(value):
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        text = "<unprintable>"
    return text if len(text) <= 200 else text[:200] + "..."
