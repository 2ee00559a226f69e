"""Reads example calls out of Python source without running it (trusted code, in its own session).

`examples(code, entry, test)` parses `code` with `ast` and returns the entry point's parameters and
the argument lists of example calls: those written in the entry point's docstring (`>>> f(1, 2)`,
`f([1, 2]) ==> 3`, `For lst = [1, 2] the output should be 3`, `Input: arr = [1], k = 2`) and, when
`test` is given, the literal arguments of calls to the entry point (or `candidate`) in that test
code. Only literals count (`ast.literal_eval`); nothing is evaluated.
"""

import ast
import re

MAX_EXAMPLES = 200
MAX_LINE = 2000


def _literal(node):
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _entry_def(tree, entry):
    found = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry:
            found = node
    return found


def _params(fn):
    a = fn.args
    names = [p.arg for p in a.posonlyargs + a.args]
    required = len(names) - len(a.defaults)
    return names, required


def _call_args(call, names, required):
    """The positional argument list of a literal call, or None when it is not one that fits."""
    args = []
    for node in call.args:
        if isinstance(node, ast.Starred):
            return None
        ok, value = _literal(node)
        if not ok:
            return None
        args.append(value)
    by_name = {}
    for kw in call.keywords:
        if kw.arg is None or kw.arg not in names:
            return None
        ok, value = _literal(kw.value)
        if not ok:
            return None
        by_name[kw.arg] = value
    for name in names[len(args):]:
        if name not in by_name:
            break
        args.append(by_name.pop(name))
    if by_name or len(args) < required or len(args) > len(names):
        return None
    return args


def _balanced(text, start):
    """End index (exclusive) of the bracket group opening at text[start], or -1."""
    depth = 0
    quote = None
    i = start
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _doc_calls(doc, entry, names, required):
    out = []
    for m in re.finditer(r"\b([A-Za-z_]\w*)\(", doc):
        end = _balanced(doc, m.end() - 1)
        if end < 0:
            continue
        try:
            node = ast.parse(doc[m.start():end], mode="eval").body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
            continue
        # Another name with the entry point's arity is the same function under an older name
        # (HumanEval's `list_sort` for `sorted_list_sum`).
        if node.func.id != entry and len(node.args) != len(names):
            continue
        args = _call_args(node, names, required)
        if args is not None:
            out.append(args)
    return out


def _line_literal(text):
    """The longest prefix of text that is a Python literal."""
    text = text.strip()
    for end in range(min(len(text), MAX_LINE), 0, -1):
        if text[end - 1] in " ,;.":
            continue
        try:
            node = ast.parse(text[:end], mode="eval").body
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            continue
        ok, value = _literal(node)
        if ok:
            return True, value
    return False, None


def _doc_assignments(doc, names, required):
    out = []
    for line in doc.splitlines():
        if len(line) > MAX_LINE:
            continue
        values = {}
        for name in names:
            m = re.search(r"\b" + re.escape(name) + r"\s*[=:]\s*(?![=])", line)
            if m:
                ok, value = _line_literal(line[m.end():])
                if ok:
                    values[name] = value
        if len(names) == 1 and not values:
            m = re.match(r"\s*Input\s*:\s*(.+)$", line)
            if m:
                ok, value = _line_literal(m.group(1))
                if ok:
                    values[names[0]] = value
        args = []
        for name in names:
            if name not in values:
                break
            args.append(values[name])
        if len(args) >= max(required, 1):
            out.append(args)
    return out


def _test_calls(test, entry, names, required):
    try:
        tree = ast.parse(test)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (entry, "candidate"):
            args = _call_args(node, names, required)
            if args is not None:
                out.append(args)
    return out


def _unique(lists):
    seen = set()
    out = []
    for args in lists:
        key = repr(args)
        if key not in seen:
            seen.add(key)
            out.append(args)
    return out[:MAX_EXAMPLES]


def examples(code, entry, test=None):
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return {"params": None, "required": 0, "doc": [], "test": []}
    fn = _entry_def(tree, entry)
    if fn is None:
        return {"params": None, "required": 0, "doc": [], "test": []}
    names, required = _params(fn)
    doc = ast.get_docstring(fn) or ""
    found = _doc_calls(doc, entry, names, required) + _doc_assignments(doc, names, required)
    tests = _test_calls(test, entry, names, required) if isinstance(test, str) else []
    return {"params": names, "required": required, "doc": _unique(found), "test": _unique(tests)}
