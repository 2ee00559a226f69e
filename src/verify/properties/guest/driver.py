"""Holds the instance a stateful check drives, inside the sandbox.

Executed as a cell in the session that loaded a class (the candidate's or the model's). Each
method call answers ["ok", value] or ["raised", exception type, message], so raising is behaviour
compared with the model's, not a broken call. In the candidate's session this code shares the
interpreter with the candidate, which may change what it answers: that only changes the
candidate's own behaviour, which is what is being judged, on the host, against the model's.
"""

__crucible_instance__ = [None]


def __crucible_new__(cls_name, args):
    cls = globals().get(cls_name)
    if cls is None or not isinstance(cls, type):
        raise NameError("the code defines no class %r" % (cls_name,))
    __crucible_instance__[0] = cls(*args)
    return None


def __crucible_invoke__(method, args):
    obj = __crucible_instance__[0]
    try:
        return ["ok", getattr(obj, method)(*args)]
    except Exception as e:  # noqa: BLE001 - raising is part of the behaviour compared
        return ["raised", type(e).__name__, str(e)[:500]]
