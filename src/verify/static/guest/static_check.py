"""Trusted guest code for static checks: parses candidate programs (untrusted text) with ast and
symtable and reports syntax errors, undefined names and imports outside an allowlist, as data.

Nothing of a candidate is executed. Parsing hostile text can still exhaust the parser (deep
nesting), which is why this runs inside the sandbox, never on the host.

Severity: an `error` is certain to fail or forbidden by policy: a syntax error; an import of a
module outside the allowlist; a name that is not defined anywhere in the program nor a builtin,
used where the code always runs (module level outside conditional blocks, class bodies there, or
the straight-line start of the entry point's body). The same undefined name anywhere else (a
branch, a helper that may never be called) is a `warning`: it fails only when that code runs.
"""

import ast
import builtins
import symtable
import sys

_BUILTINS = set(dir(builtins)) | {"__name__", "__file__", "__doc__", "__builtins__", "__spec__", "__loader__", "__package__", "__annotations__"}
_STDLIB = set(sys.stdlib_module_names)


def _issue(kind, severity, line, message, name=None):
    out = {"kind": kind, "severity": severity, "line": line, "message": message}
    if name is not None:
        out["name"] = name
    return out


def _imports(tree, allowed):
    issues = []
    for node in ast.walk(tree):
        roots = []
        if isinstance(node, ast.Import):
            roots = [(a.name.split(".")[0], a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                issues.append(_issue("import", "error", node.lineno, "relative import %s; a single program has no package" % ("." * node.level + (node.module or "")), node.module or "."))
                continue
            roots = [(node.module.split(".")[0], node.module)]
        for root, full in roots:
            if root not in allowed:
                issues.append(_issue("import", "error", node.lineno, "import of %s: %s is not an allowed module" % (full, root), root))
    return issues


def _module_defined(table):
    names = set()
    for sym in table.get_symbols():
        if sym.is_assigned() or sym.is_imported() or sym.is_namespace() or sym.is_parameter():
            names.add(sym.get_name())
    return names


def _undefined_in(table, defined, out):
    """Names each scope reads from the global scope that the module never defines."""
    for sym in table.get_symbols():
        name = sym.get_name()
        if not sym.is_referenced():
            continue
        global_read = sym.is_global() if table.get_type() != "module" else not (sym.is_assigned() or sym.is_imported() or sym.is_namespace())
        if global_read and name not in defined and name not in _BUILTINS:
            out.add(name)
    for child in table.get_children():
        _undefined_in(child, defined, out)


class _Loads(ast.NodeVisitor):
    """Name loads in code that runs whenever its statement does: not inside lambdas, nested
    functions or comprehensions (their own scopes)."""

    def __init__(self):
        self.found = []

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load):
            self.found.append(node)

    def visit_Lambda(self, node):
        for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(d)

    def _comprehension(self, node):
        # Only the first iterable is evaluated in the enclosing scope.
        self.visit(node.generators[0].iter)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_FunctionDef(self, node):
        for d in node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(d)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        for e in node.decorator_list + node.bases + [k.value for k in node.keywords]:
            self.visit(e)
        for stmt in _straight(node.body):
            self.visit(stmt)


_SIMPLE = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Return, ast.Assert, ast.Delete, ast.Pass, ast.Raise, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal)


def _straight(body):
    """The statements of a block that always run: up to the first return/raise or branching statement."""
    out = []
    for stmt in body:
        if not isinstance(stmt, _SIMPLE):
            break
        out.append(stmt)
        if isinstance(stmt, (ast.Return, ast.Raise)):
            break
    return out


def _certain_loads(tree, entry):
    loads = _Loads()
    for stmt in _straight(tree.body):
        loads.visit(stmt)
    if entry:
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == entry:
                for stmt in _straight(node.body):
                    loads.visit(stmt)
    return loads.found


def check_one(source, entry, allowed):
    try:
        tree = ast.parse(source)
        table = symtable.symtable(source, "<candidate>", "exec")
    except SyntaxError as e:
        return [_issue("syntax", "error", e.lineno or 0, "%s: %s" % (type(e).__name__, e.msg))]
    except (ValueError, RecursionError, MemoryError) as e:
        return [_issue("syntax", "error", 0, "%s: %s" % (type(e).__name__, e))]
    issues = _imports(tree, allowed)
    star = any(isinstance(n, ast.ImportFrom) and any(a.name == "*" for a in n.names) for n in ast.walk(tree))
    if not star:
        undefined = set()
        # Names a function declares `global` and assigns exist once it ran: not undefined.
        declared = {n for node in ast.walk(tree) if isinstance(node, ast.Global) for n in node.names}
        _undefined_in(table, _module_defined(table) | declared, undefined)
        if undefined:
            certain = {}
            for node in _certain_loads(tree, entry):
                if node.id in undefined and node.id not in certain:
                    certain[node.id] = node.lineno
            first = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.Name) and node.id in undefined and node.id not in first:
                    first[node.id] = node.lineno
            for name in sorted(undefined, key=lambda n: (first.get(n, 0), n)):
                severity = "error" if name in certain else "warning"
                line = certain.get(name, first.get(name, 0))
                issues.append(_issue("undefined_name", severity, line, "name %r is not defined" % name, name))
    return sorted(issues, key=lambda i: (i["line"], i["kind"]))


def static_check(programs, entries, allowed):
    """One list of issues per program. `entries`: each program's entry point (or None);
    `allowed`: module names importable (None: the standard library)."""
    allow = _STDLIB if allowed is None else set(allowed)
    return [check_one(p, e, allow) for p, e in zip(programs, entries)]
