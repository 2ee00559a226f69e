"""Execution traces, LDB-style, run as trusted code inside the candidate's own sandbox session.

`__crucible_trace_load(source)` compiles the candidate as `<candidate>` into a namespace of its own
and splits every function it defines into static basic blocks (from the AST: a condition or a loop
header ends a block, a branch body, a loop body, a handler or the code after a compound statement
starts one). `__crucible_trace(entry, args, kwargs, options)` calls the entry point under a
`sys.settrace` line tracer that follows every frame of candidate code (the entry function, the
module-level functions it calls, nested helpers, recursion), maps each executed line to its
block, and snapshots the frame's locals (a bounded, truncated repr) each time a block is left.

The executed path is the sequence of block instances in the order they ended. A block instance
ends when the next executed line of its frame lies in another block, jumps back to an earlier
statement (a loop without a header line event), re-executes the same line, or when the frame
returns. Comprehensions, lambdas and generator expressions count their steps towards the frame
that runs them but have no blocks of their own. A step is one line event in candidate code.

Caps: `maxSteps` and `timeLimitMs` stop the call (the report says which); past `maxBlocks` only the
first half and the last half of the path are kept (the rest is counted). With `collect="values"`
no path is kept, only the set of (function, variable, value) seen at block exits, for callers that
compare which values two versions reach.
"""

import ast
import collections
import reprlib
import sys
import time
import zlib

_FILENAME = "<candidate>"
_candidate = {"ns": None, "functions": {}, "error": None}


class _TraceStop(BaseException):
    """Raised into the traced code when a cap is reached; BaseException so `except Exception` in
    the candidate does not swallow it."""


# ------------------------------------------------------------------------------- static blocks


class _Function:
    __slots__ = ("name", "qualname", "first", "last", "blocks", "line_block", "line_stmt", "spans", "_cur", "_order")

    def __init__(self, node, qualname):
        self.name = node.name
        self.qualname = qualname
        self.first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        self.last = node.end_lineno
        self.blocks = []  # block id -> list of [start, end] spans
        self.line_block = {}  # line -> block id (the first block to claim a line keeps it)
        self.line_stmt = {}  # line -> order of the statement that owns it
        self._cur = None
        self._order = 0
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body = body[1:]  # a docstring is not executed
        self._stmts(body)
        self._cur = None
        self.spans = [[min(s[0] for s in b), max(s[1] for s in b)] for b in self.blocks]

    def _end(self):
        self._cur = None

    def _add(self, start, end):
        if self._cur is None:
            self._cur = len(self.blocks)
            self.blocks.append([])
        self.blocks[self._cur].append([start, end])
        self._order += 1
        for line in range(start, end + 1):
            self.line_block.setdefault(line, self._cur)
            self.line_stmt.setdefault(line, self._order)

    def _stmts(self, body):
        for s in body:
            self._stmt(s)

    def _branch(self, body):
        self._end()
        self._stmts(body)
        self._end()

    def _stmt(self, s):
        if isinstance(s, ast.If):
            self._add(s.lineno, s.test.end_lineno)
            self._branch(s.body)
            if s.orelse:
                self._branch(s.orelse)
        elif isinstance(s, (ast.While, ast.For, ast.AsyncFor)):
            self._end()  # the loop header is a jump target: it starts a block
            head_end = s.test.end_lineno if isinstance(s, ast.While) else s.iter.end_lineno
            self._add(s.lineno, head_end)
            self._branch(s.body)
            if s.orelse:
                self._branch(s.orelse)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            self._end()
            self._add(s.lineno, max(i.context_expr.end_lineno for i in s.items))
            self._stmts(s.body)
            self._end()
        elif isinstance(s, (ast.Try, getattr(ast, "TryStar", ast.Try))):
            self._add(s.lineno, s.lineno)
            self._stmts(s.body)
            self._end()
            for h in s.handlers:
                self._add(h.lineno, h.type.end_lineno if h.type is not None else h.lineno)
                self._stmts(h.body)
                self._end()
            for part in (s.orelse, s.finalbody):
                if part:
                    self._branch(part)
        elif isinstance(s, ast.Match):
            self._add(s.lineno, s.subject.end_lineno)
            for case in s.cases:
                self._end()
                guard_end = case.guard.end_lineno if case.guard is not None else case.pattern.end_lineno
                self._add(case.pattern.lineno, guard_end)
                self._branch(case.body)
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([s.lineno] + [d.lineno for d in s.decorator_list])
            self._add(first, s.body[0].lineno - 1 if s.body[0].lineno > s.lineno else s.lineno)
        else:
            self._add(s.lineno, s.end_lineno)
            if isinstance(s, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
                self._end()

    def describe(self):
        return {
            "name": self.name,
            "qualname": self.qualname,
            "lines": [self.first, self.last],
            "blocks": [{"id": i, "lines": spans} for i, spans in enumerate(self.blocks)],
        }

    def span(self, block):
        return self.spans[block] if 0 <= block < len(self.spans) else None


def _functions(tree):
    """Every def in the module, nested ones and methods included, keyed by the first line of its
    code object (CPython's co_firstlineno: the first decorator's line)."""
    found = {}

    def walk(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                fn = _Function(child, prefix + child.name)
                found[fn.first] = fn
                walk(child, prefix + child.name + ".<locals>.")
            elif isinstance(child, ast.ClassDef):
                walk(child, prefix + child.name + ".")
            else:
                walk(child, prefix)

    walk(tree, "")
    return found


def __crucible_trace_load(source):
    """Compiles and runs the candidate in its own namespace; its exception, if any, propagates."""
    tree = ast.parse(source, _FILENAME)
    _candidate["functions"] = _functions(tree)
    ns = {"__name__": "__main__", "__builtins__": __builtins__}
    _candidate["ns"] = ns
    exec(compile(tree, _FILENAME, "exec"), ns)
    return {"functions": len(_candidate["functions"])}


# ------------------------------------------------------------------------------------ values


class _Repr(reprlib.Repr):
    def __init__(self):
        super().__init__()
        self.maxlevel = 4
        self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = self.maxdeque = self.maxdict = 40
        self.maxstring = 160
        self.maxlong = 80
        self.maxother = 160

    def repr_instance(self, x, level):
        try:
            text = repr(x)
        except BaseException as e:  # noqa: BLE001 - a hostile __repr__ is a value, not a crash
            return "<unrepresentable %s: %s>" % (type(x).__name__, type(e).__name__)
        return _strip_address(text if len(text) <= self.maxother else text[: self.maxother - 3] + "...")


def _strip_address(text):
    # Default reprs carry memory addresses that differ between runs and versions.
    i = text.find(" at 0x")
    while i >= 0:
        j = i + 6
        while j < len(text) and text[j] in "0123456789abcdef":
            j += 1
        text = text[:i] + " at 0x…" + text[j:]
        i = text.find(" at 0x", i + 7)
    return text


_REPR = _Repr()
_BIG = 10**60
_SCALARS = (bool, float, complex, type(None))
_FLAT = (list, tuple)
_SKIP_TYPES = (type(len), type(_strip_address), type(sys), type)


def _value(x, limit):
    """A bounded repr, cut in the middle past `limit` characters; a cut text keeps a checksum of
    what was left out so two values that differ only there still compare unequal."""
    t = type(x)
    # Builtin reprs of plain values are exact (the cut below keeps a checksum of the whole) and much
    # faster than reprlib, which drops the middle of long strings and the end of long lists.
    if t is int and -_BIG < x < _BIG or t in _SCALARS or t is str and len(x) <= 100_000:
        text = repr(x)
    elif t in _FLAT and len(x) <= 200 and all(type(e) in _SCALARS or type(e) is str or type(e) is int and -_BIG < e < _BIG for e in x):
        text = repr(x)
    else:
        try:
            text = _REPR.repr(x)
        except BaseException as e:  # noqa: BLE001
            text = "<unrepresentable %s: %s>" % (type(x).__name__, type(e).__name__)
    return _cut(text, limit)


def _cut(text, limit):
    if len(text) <= limit:
        return text
    half = max(limit // 2, 1)
    cut = text[half : len(text) - half]
    return "%s…[%d chars, crc %08x]…%s" % (text[:half], len(cut), zlib.crc32(cut.encode("utf-8", "replace")), text[len(text) - half :])


# ------------------------------------------------------------------------------------ tracing


class _Frame:
    __slots__ = ("call", "fn", "depth", "block", "last_line", "lines", "steps", "pending")

    def __init__(self, call, fn, depth):
        self.depth = depth
        self.call = call
        self.fn = fn
        self.block = None
        self.last_line = None
        self.lines = []
        self.steps = 0
        self.pending = None  # the exception raised in the frame and not yet handled


class _Tracer:
    def __init__(self, options):
        self.max_steps = int(options.get("maxSteps") or 1_000_000)
        self.max_blocks = max(int(options.get("maxBlocks") or 200), 2)
        self.max_calls = max(int(options.get("maxCalls") or 200), 2)
        self.limit = max(int(options.get("maxValueChars") or 100), 8)
        self.max_values = int(options.get("maxValues") or 10_000)
        self.values_only = options.get("collect") == "values"
        time_limit = options.get("timeLimitMs")
        self.deadline = time.perf_counter() + time_limit / 1000 if time_limit else None
        self.steps = 0
        self.stopped = None
        self.frames = {}
        self.used = {}
        self.head, self.total = [], 0
        self.tail = collections.deque(maxlen=self.max_blocks // 2)
        self.call_head, self.call_total = [], 0
        self.call_tail = collections.deque(maxlen=self.max_calls // 2)
        self.values = set()
        self.values_dropped = 0
        self.open_calls = {}  # call id -> its record, until its frame returns

    # -- recording

    def _keep(self, item, head, tail, cap):
        if len(head) < (cap + 1) // 2:
            head.append(item)
        else:
            tail.append(item)  # a bounded deque: the oldest falls out

    def _state(self, frame, fn):
        out = {}
        for name, val in frame.f_locals.items():
            if name.startswith("__") or isinstance(val, _SKIP_TYPES):
                continue
            text = _value(val, self.limit)
            if self.values_only:
                if len(self.values) < self.max_values:
                    self.values.add((fn.qualname, name, text))
                else:
                    self.values_dropped += 1
            else:
                out[name] = text
        return out

    def _finish(self, frame, st, returned=None, raised=None, ended=False):
        if st.block is None and not ended:
            return
        state = self._state(frame, st.fn)
        if not self.values_only:
            block = -1 if st.block is None else st.block
            rec = {
                "index": self.total,
                "call": st.call,
                "function": st.fn.qualname,
                "block": block,
                "lines": st.fn.span(block) or ([min(st.lines), max(st.lines)] if st.lines else [frame.f_code.co_firstlineno] * 2),
                "executed": st.lines,
                "steps": st.steps,
                "state": state,
            }
            if returned is not None:
                rec["returned"] = returned
            if raised is not None:
                rec["raised"] = raised
            self._keep(rec, self.head, self.tail, self.max_blocks)
        self.total += 1
        st.block, st.lines, st.steps, st.last_line = None, [], 0, None

    def _enter(self, frame, fn):
        caller = frame.f_back
        while caller is not None and id(caller) not in self.frames:
            caller = caller.f_back
        parent = self.frames.get(id(caller)) if caller is not None else None
        call = self.call_total
        self.call_total += 1
        self.used[fn.qualname] = fn
        args = self._state(frame, fn)
        st = _Frame(call, fn, 0 if parent is None else parent.depth + 1)
        if not self.values_only:
            rec = {
                "id": call,
                "function": fn.qualname,
                "parent": parent.call if parent else None,
                "depth": st.depth,
                "atIndex": self.total,
                "args": args,
            }
            if parent is not None and parent.block is not None:
                # The caller's block that made the call: it is still running.
                rec["fromBlock"] = {"function": parent.fn.qualname, "block": parent.block, "lines": parent.fn.span(parent.block)}
            self._keep(rec, self.call_head, self.call_tail, self.max_calls)
            self.open_calls[call] = rec
        self.frames[id(frame)] = st
        return st

    # -- sys.settrace callbacks

    def global_trace(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename != _FILENAME:
            return None
        if self.stopped:
            raise _TraceStop(self.stopped)
        fn = _candidate["functions"].get(code.co_firstlineno)
        if fn is None or fn.name != code.co_name:
            return self.inline_trace
        self._enter(frame, fn)
        return self.local_trace

    def _tick(self):
        self.steps += 1
        if self.steps > self.max_steps:
            self.stopped = "step_limit"
        elif self.deadline is not None and (self.steps & 255) == 0 and time.perf_counter() > self.deadline:
            self.stopped = "time_limit"
        if self.stopped:
            raise _TraceStop(self.stopped)

    def inline_trace(self, frame, event, arg):
        if event == "line":
            self._tick()
        return self.inline_trace

    def local_trace(self, frame, event, arg):
        st = self.frames.get(id(frame))
        if st is None:
            return None
        if event == "line":
            self._tick()
            line = frame.f_lineno
            fn = st.fn
            block = fn.line_block.get(line, st.block if st.block is not None else -1)
            if st.block is not None and (
                block != st.block
                or line == st.last_line
                or fn.line_stmt.get(line, 0) < fn.line_stmt.get(st.last_line, 0)
            ):
                self._finish(frame, st)
            if st.block is None:
                st.block = block
            st.pending = None
            st.last_line = line
            st.steps += 1
            if line not in st.lines:
                st.lines.append(line)
        elif event == "exception":
            exc_type, exc, _ = arg
            if exc_type is not _TraceStop:
                st.pending = "%s: %s" % (exc_type.__name__, _cut(_message(exc), self.limit))
        elif event == "return":
            raised = st.pending
            returned = None if raised is not None else _value(arg, self.limit)
            self._finish(frame, st, returned=returned, raised=raised, ended=True)
            rec = self.open_calls.pop(st.call, None)
            if rec is not None:
                if raised is not None:
                    rec["raised"] = raised
                else:
                    rec["returned"] = returned
            del self.frames[id(frame)]
        return self.local_trace


def _message(exc):
    try:
        return str(exc)
    except BaseException:  # noqa: BLE001
        return "<unprintable>"


def __crucible_trace(entry, args, kwargs, options):
    """Calls `entry(*args, **kwargs)` under the tracer; returns the report as plain data."""
    ns = _candidate["ns"]
    if ns is None:
        raise RuntimeError("the candidate was not loaded")
    fn = ns.get(entry) if isinstance(entry, str) else None
    if fn is None or not callable(fn):
        raise NameError("no callable named %r was defined by the loaded code" % (entry,))
    tracer = _Tracer(options or {})
    report = {}
    t0 = time.perf_counter_ns()
    sys.settrace(tracer.global_trace)
    try:
        value = fn(*args, **(kwargs or {}))
        report["status"] = "ok"
        report["value"] = value
    except _TraceStop:
        report["status"] = tracer.stopped or "step_limit"
    except BaseException as e:  # noqa: BLE001 - the candidate's exception is part of the report
        report["status"] = "exception"
        report["exception"] = {"type": type(e).__name__, "message": _cut(_message(e), 1000)}
    finally:
        sys.settrace(None)
    if tracer.stopped:
        report["status"] = tracer.stopped  # the candidate swallowed the stop: the trace is still cut
        report.pop("value", None)
    report["callMs"] = (time.perf_counter_ns() - t0) / 1e6
    report["steps"] = tracer.steps
    report["blockCount"] = tracer.total
    report["callCount"] = tracer.call_total
    report["functions"] = [f.describe() for f in sorted(tracer.used.values(), key=lambda f: f.first)]
    if tracer.values_only:
        report["values"] = [list(v) for v in sorted(tracer.values)]
        report["valuesDropped"] = tracer.values_dropped
    else:
        report["blocks"] = tracer.head + list(tracer.tail)
        report["calls"] = tracer.call_head + list(tracer.call_tail)
    return report
