"""Reads a function's (or a class's methods') type hints as JSON Schemas, inside the sandbox.

Executed as a cell in the namespace of the loaded code, after it loaded, so hints that name the
code's own classes and aliases (or are strings, under `from __future__ import annotations`) resolve
as Python resolves them. Trusted code beside untrusted code: what it returns only chooses which
inputs are generated; it never decides a verdict.

Mapping (see src/verify/inputs/schema.ts for the `x-` keywords): int, float, bool, str, bytes, None,
list/Sequence/Iterable[X], tuple[X, Y] and tuple[X, ...], set/frozenset[X], dict/Mapping[K, V],
Optional/Union/X | Y, Literal, Annotated, NewType, TypeVar (its bound), TypedDict, Any. Anything
else is {"x-unsupported": "<the hint>"}.
"""


def __crucible_signature__(entry):
    import collections.abc as cabc
    import inspect
    import types
    import typing

    namespace = globals()
    none_type = type(None)
    SEQUENCES = (list, cabc.Sequence, cabc.MutableSequence, cabc.Iterable, cabc.Collection, cabc.Reversible)
    SETS = (set, cabc.Set, cabc.MutableSet)
    MAPPINGS = (dict, cabc.Mapping, cabc.MutableMapping)

    def text(tp):
        try:
            return inspect.formatannotation(tp, "__main__").replace("__main__.", "")
        except Exception:  # a hostile __repr__ must not break the reader
            return "<unprintable hint>"

    def unsupported(tp):
        return {"x-unsupported": text(tp)}

    def schema_of(tp, depth=0):
        if depth > 30:
            return unsupported(tp)
        d = depth + 1
        if tp is typing.Any or tp is object:
            return {}
        if tp is None or tp is none_type:
            return {"type": "null"}
        if tp is bool:
            return {"type": "boolean"}
        if tp is int:
            return {"type": "integer", "x-python": "int"}
        if tp is float:
            return {"type": "number", "x-python": "float"}
        if tp is str:
            return {"type": "string"}
        if tp is bytes:
            return {"type": "string", "x-python": "bytes", "contentEncoding": "base64"}
        if isinstance(tp, typing.NewType):
            return schema_of(tp.__supertype__, d)
        if isinstance(tp, typing.TypeVar):
            if tp.__bound__ is not None:
                return schema_of(tp.__bound__, d)
            if tp.__constraints__:
                return {"anyOf": [schema_of(c, d) for c in tp.__constraints__]}
            return {}
        if typing.is_typeddict(tp):
            try:
                fields = typing.get_type_hints(tp)
            except Exception:
                return unsupported(tp)
            required = getattr(tp, "__required_keys__", frozenset(fields))
            return {
                "type": "object",
                "properties": {k: schema_of(v, d) for k, v in fields.items()},
                "required": [k for k in fields if k in required],
                "additionalProperties": False,
            }
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if origin is typing.Annotated:
            return schema_of(args[0], d)
        if origin is typing.Union or origin is types.UnionType:
            return {"anyOf": [schema_of(a, d) for a in args]}
        if origin is typing.Literal:
            if all(a is None or type(a) in (bool, int, str) for a in args):
                return {"enum": list(args)}
            return unsupported(tp)
        if tp is tuple or origin is tuple:
            if not args:
                return {"type": "array", "x-python": "tuple"}
            if args == ((),):
                return {"type": "array", "x-python": "tuple", "maxItems": 0}
            if len(args) == 2 and args[1] is Ellipsis:
                return {"type": "array", "x-python": "tuple", "items": schema_of(args[0], d)}
            n = len(args)
            return {"type": "array", "x-python": "tuple", "prefixItems": [schema_of(a, d) for a in args],
                    "items": False, "minItems": n, "maxItems": n}
        if tp in SEQUENCES or origin in SEQUENCES:
            return {"type": "array", "items": schema_of(args[0], d) if args else {}}
        if tp in SETS or origin in SETS or tp is frozenset or origin is frozenset:
            kind = "frozenset" if (tp is frozenset or origin is frozenset) else "set"
            return {"type": "array", "uniqueItems": True, "x-python": kind, "items": schema_of(args[0], d) if args else {}}
        if tp in MAPPINGS or origin in MAPPINGS:
            key = args[0] if args else str
            value = schema_of(args[1], d) if len(args) > 1 else {}
            if key is str:
                return {"type": "object", "additionalProperties": value}
            return {"type": "object", "x-python": "dict", "x-python-keys": schema_of(key, d), "additionalProperties": value}
        return unsupported(tp)

    def hints_of(fn):
        try:
            return typing.get_type_hints(fn)
        except Exception:
            # An unresolvable forward reference: keep the hints that are already objects.
            raw = getattr(fn, "__annotations__", None) or {}
            return {k: v for k, v in raw.items() if not isinstance(v, str)}

    def describe(fn, skip_first=False):
        sig = inspect.signature(fn)
        hints = hints_of(fn)
        params = []
        for i, p in enumerate(sig.parameters.values()):
            if skip_first and i == 0:
                continue
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                continue
            if p.kind is p.KEYWORD_ONLY:
                if p.default is p.empty:
                    raise TypeError(
                        "parameter %r is keyword-only and has no default; generated inputs are passed by position" % p.name)
                continue
            hint = hints.get(p.name, p.annotation)
            has = hint is not p.empty
            params.append({
                "name": p.name,
                "schema": schema_of(hint) if has else {},
                "optional": p.default is not p.empty,
                "annotation": text(hint) if has else None,
            })
        ret = hints.get("return", sig.return_annotation)
        return {"params": params, "returns": None if ret is inspect.Signature.empty else schema_of(ret)}

    obj = namespace.get(entry) if isinstance(entry, str) else None
    if obj is None:
        raise NameError("the code defines no %r" % (entry,))
    if inspect.isclass(obj):
        try:
            ctor = describe(obj)
        except (TypeError, ValueError):
            ctor = {"params": [], "returns": None}
        methods = {}
        for name in dir(obj):
            if name.startswith("_"):
                continue
            member = inspect.getattr_static(obj, name)
            if inspect.isfunction(member):
                methods[name] = describe(member, skip_first=True)
        return {"kind": "class", "params": ctor["params"], "returns": None, "methods": methods}
    if not callable(obj):
        raise TypeError("%r is a %s, not a function" % (entry, type(obj).__name__))
    return dict(describe(obj), kind="function")
