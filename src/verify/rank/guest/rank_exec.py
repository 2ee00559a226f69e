"""Trusted guest code for ranking: runs candidate programs against generated tests and inputs.

Loaded as the code of a Python session (never with a candidate in it). The host first calls
`rank_prepare` with a task's distinct tests (assert statements), inputs and entry point; the tests
are compiled once, the inputs decoded once, and tests of the form `assert entry(<literals>) ==
<literal>` are matched to the input with the same arguments. Then `rank_run` takes a batch of
candidate programs and, for each, forks a child that loads the program, calls the entry point on
every input (an output fingerprint each; the matched tests are decided from the value with `==`,
so a heavy call runs once) and then executes the remaining tests in the program's namespace, each
under a CPU-time limit, writing results to shared memory as it goes. The parent here watches: a
child that makes no progress for `stallMs` of wall time is killed and the item it was on counts as
a timeout; a child that dies mid-way (a crash, `os._exit`) loses only the item it was on; in both
cases a fresh child goes on from the next item. So a candidate costs its own process, never the
session's, and many candidates go in one round trip with the host.

The candidate children get no descriptor but their own result pipe (stdin/stdout/stderr are
/dev/null) and run in their own process group. A candidate can still write its own results (it
shares the child's memory; any in-process test can be fooled by a program that wants to, e.g. an
object equal to everything) and can kill this process (same uid): the host sees the session
restart and runs that batch again one program at a time.

The session's code is fingerprint.py + rank_tests.py + this file (execute.ts joins them):
`_fingerprint`, `_equality_test` and `_args_key` come from those.
"""

import copy
import gc
import mmap
import os
import resource
import select
import signal
import time

LOADED, LOAD_ERROR, LOAD_TIMEOUT = b"L", b"X", b"Y"

_state = {}


def _libc_prctl():
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except Exception:
        return None


_PRCTL = _libc_prctl()  # looked up once: a child pays microseconds, not a dlopen


def _prctl_dumpable(flag):
    if _PRCTL is not None:
        try:
            _PRCTL(4, flag, 0, 0, 0)  # PR_SET_DUMPABLE
        except Exception:
            pass


_prctl_dumpable(0)


# -------------------------------------------------------------------------------------- child


class _Timeout(BaseException):
    pass


_armed = [False]


def _on_prof(signum, frame):
    if _armed[0]:
        raise _Timeout()


def _arm(seconds):
    _armed[0] = True
    # Repeating, so a candidate that swallows the first interruption with a bare `except` gets
    # another; the host-side watchdog covers what no signal can interrupt.
    signal.setitimer(signal.ITIMER_PROF, seconds, seconds / 4)


def _disarm():
    _armed[0] = False
    signal.setitimer(signal.ITIMER_PROF, 0, 0)


def _vm_size():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


SLOT = 16  # bytes of shared memory per input: a fingerprint, or a `!` mark, padded with spaces

# Shared memory layout: the load byte at 0, then SLOT bytes per input, then one byte per test.
# Test marks: b"1" passed, b"0" failed, b"t" timed out, b"T" timed out through its input (counts
# as `t` but not again towards the timeout budget), b"s" skipped, 0 not run yet.
#
# Items run in this order: the seed inputs (the tests' own arguments), the tests, then the
# generated inputs, so nothing a generated input does changes a test's mark. A program has
# `maxTimeouts` timeouts on seeds and tests before the rest of it is skipped; generated inputs get
# `generatedTimeoutMs` each (they are small by construction) and one timeout among them skips the
# other generated inputs.


def _input_at(i):
    return 1 + i * SLOT


def _test_at(j):
    return 1 + _state["nInputs"] * SLOT + j


def _item_at(item):
    kind, i = item
    return _input_at(i) if kind == "i" else _test_at(i)


def _call_input(ns, entry, args, limit_s):
    """(value, mark): mark is None for a value, else the `!` text for the input's slot."""
    try:
        args = copy.deepcopy(args)
        _arm(limit_s)
        try:
            value = ns.get(entry)(*args)
        finally:
            _disarm()
        return value, None
    except _Timeout:
        return None, "!timeout"
    except BaseException as e:  # noqa: BLE001 - the exception type is the output
        try:
            return None, "!" + type(e).__name__
        except BaseException:
            return None, "!error"


def _put_input(shm, i, line):
    at = _input_at(i)
    shm[at : at + SLOT] = line.encode("ascii", "replace")[:SLOT].ljust(SLOT)


def _child(w, shm, source, first, opts):
    """Runs in the forked child; never returns. Results go to the shared memory `shm`, written as
    they are known, so the parent learns how far a child got even when it has to kill it; the pipe
    `w` only closes when the child ends. A test of the form `assert entry(<literal args>) ==
    <literal>` whose arguments are a seed input is decided from that input's value with `==`
    instead of calling the candidate again."""
    try:
        os.setpgid(0, 0)
        _prctl_dumpable(1)
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, w)
        os.closerange(w + 1, 1 << 16)
        extra = opts.get("memoryBytes")
        if extra:
            limit = _state["vmSize"] + int(extra)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        signal.signal(signal.SIGPROF, _on_prof)
        signal.signal(signal.SIGINT, signal.default_int_handler)

        ns = {"__builtins__": __builtins__}
        status = LOADED
        try:
            _arm(opts["loadTimeoutMs"] / 1000.0)
            try:
                exec(compile(source, "<candidate>", "exec"), ns)
            finally:
                _disarm()
        except _Timeout:
            status = LOAD_TIMEOUT
        except BaseException:
            status = LOAD_ERROR
        shm[0:1] = status
        if status != LOADED:
            os._exit(0)
        limit_s = opts["testTimeoutMs"] / 1000.0
        gen_limit_s = opts["generatedTimeoutMs"] / 1000.0
        codes = _state["codes"]
        inputs = _state["inputs"]
        n_seed = _state["nSeed"]
        derived = _state["derived"]
        entry = _state["entry"]
        order = _state["order"]
        left = opts["maxTimeouts"] - _timeouts(shm)
        gen_left = 1 - _generated_timeouts(shm)
        for pos in range(first, len(order)):
            if left <= 0:
                os._exit(0)  # the rest stays unmarked: skipped
            kind, i = order[pos]
            if kind == "i" and i >= n_seed:
                if gen_left <= 0:
                    _put_input(shm, i, "!skipped")
                    continue
                value, line = _call_input(ns, entry, inputs[i], gen_limit_s)
                if line == "!timeout":
                    gen_left -= 1
                _put_input(shm, i, _fingerprint(value) if line is None else line)
            elif kind == "i":
                value, line = _call_input(ns, entry, inputs[i], limit_s)
                if line is None:
                    line = _fingerprint(value)
                for j, expected in derived.get(i, ()):
                    at = _test_at(j)
                    if shm[at] != 0:
                        continue
                    if line == "!timeout":
                        mark = b"T"
                    elif line.startswith("!"):
                        mark = b"0"
                    else:
                        try:
                            _arm(limit_s)
                            try:
                                mark = b"1" if value == expected else b"0"
                            finally:
                                _disarm()
                        except _Timeout:
                            mark = b"t"
                            left -= 1
                        except BaseException:
                            mark = b"0"
                    shm[at : at + 1] = mark
                _put_input(shm, i, line)
                if line == "!timeout":
                    left -= 1
            else:
                at = _test_at(i)
                if shm[at] != 0:
                    continue
                code = codes[i]
                mark = b"0"
                if code is not None:
                    try:
                        _arm(limit_s)
                        try:
                            exec(code, ns)
                            mark = b"1"
                        finally:
                            _disarm()
                    except _Timeout:
                        mark = b"t"
                    except BaseException:
                        mark = b"0"
                shm[at : at + 1] = mark
                if mark == b"t":
                    left -= 1
    except BaseException:
        pass
    os._exit(0)


# ------------------------------------------------------------------------------------- parent


def _reap(pid):
    for target in (-pid, pid):
        try:
            os.kill(target, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    # Whatever the candidate left behind (a daemon that left the process group) goes too: in this
    # sandbox only the supervisor (PID 1, which kill(-1) spares) and this process are not ours.
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    while True:
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if done == 0:
            break


def _progress(shm, start):
    """Position in the run order of the first item at or after `start` with no result yet."""
    order = _state["order"]
    i = start
    while i < len(order) and shm[_item_at(order[i])] != 0:
        i += 1
    return i


def _timeouts(shm):
    """Timeouts on seed inputs and tests (the budget `maxTimeouts` bounds)."""
    base = _test_at(0)
    count = bytes(shm[base : base + _state["nTests"]]).count(b"t")
    for i in range(_state["nSeed"]):
        at = _input_at(i)
        if shm[at : at + 2] == b"!t":
            count += 1
    return count


def _generated_timeouts(shm):
    count = 0
    for i in range(_state["nSeed"], _state["nInputs"]):
        at = _input_at(i)
        if shm[at : at + 2] == b"!t":
            count += 1
    return count


def _children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _run_one(source, opts):
    n_tests = _state["nTests"]
    n_inputs = _state["nInputs"]
    order = _state["order"]
    derived = _state["derived"]
    total = len(order)
    shm = mmap.mmap(-1, 1 + n_inputs * SLOT + n_tests)
    t0 = time.monotonic()
    cpu0 = _children_cpu()
    stall_s = opts["stallMs"] / 1000.0
    done = 0  # position of the first item without a result
    restarts = 0
    status = "ok"
    try:
        # Objects the child inherits stay out of its garbage collections: a collection walking
        # them would touch, and so copy, most of this process's pages (milliseconds per child).
        gc.freeze()
        _state["vmSize"] = _vm_size()  # the child's address space at fork, before the candidate loads
        while done < total:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                _child(w, shm, source, done, opts)
            os.close(w)
            how = "exited"
            seen = done
            while True:
                ready, _, _ = select.select([r], [], [], stall_s)
                if ready and not os.read(r, 1):
                    break
                now = _progress(shm, seen)
                if now == seen and not ready:
                    how = "stalled"
                    break
                seen = now
            os.close(r)
            _reap(pid)
            loaded = shm[0:1]
            if loaded == b"\0":
                status = "load_timeout" if how == "stalled" else "load_error"
                break
            if loaded != LOADED:
                status = "load_timeout" if loaded == LOAD_TIMEOUT else "load_error"
                break
            done = _progress(shm, seen)
            if done >= total or _timeouts(shm) >= opts["maxTimeouts"]:
                break
            # Stalled on, or died at, the item it was on: that item fails, a fresh child goes on.
            kind, i = order[done]
            if kind == "i":
                _put_input(shm, i, "!timeout" if how == "stalled" else "!crash")
                for j, _ in derived.get(i, ()):
                    at = _test_at(j)
                    if shm[at] == 0:
                        shm[at : at + 1] = b"T" if how == "stalled" else b"0"
            else:
                at = _test_at(i)
                shm[at : at + 1] = b"t" if how == "stalled" else b"0"
            done += 1
            restarts += 1
            if restarts > opts["maxRestarts"] or _timeouts(shm) >= opts["maxTimeouts"]:
                break
        ms = (time.monotonic() - t0) * 1000.0
        cpu = (_children_cpu() - cpu0) * 1000.0
        if status != "ok":
            return {"s": status, "t": "", "o": [], "ms": ms, "cpu": cpu}
        base = _test_at(0)
        marks = bytes(shm[base : base + n_tests]).replace(b"\0", b"s").replace(b"T", b"t").decode("ascii")
        outputs = []
        for i in range(n_inputs):
            raw = bytes(shm[_input_at(i) : _input_at(i) + SLOT])
            outputs.append("!skipped" if raw[0] == 0 else raw.decode("ascii", "replace").rstrip())
        return {"s": "ok", "t": marks, "o": outputs, "ms": ms, "cpu": cpu}
    finally:
        shm.close()


# ---------------------------------------------------------------------------------------- API


def rank_prepare(tests, inputs, entry, opts, generated=0):
    """Compile the task's distinct tests (a test that does not compile always fails) and keep its
    inputs (the last `generated` of them generated, the rest seeds) and options for the batches
    that follow. Returns which tests compiled."""
    codes = []
    for case in tests:
        try:
            codes.append(compile(case, "<test>", "exec"))
        except Exception:
            codes.append(None)
    _state["codes"] = codes
    _state["inputs"] = [list(a) for a in inputs]
    n_inputs = len(_state["inputs"])
    n_seed = max(0, n_inputs - int(generated))
    at = {}
    for i, args in enumerate(_state["inputs"][:n_seed]):
        key = _args_key(args)
        if key is not None:
            at.setdefault(key, i)
    derived = {}
    for j, case in enumerate(tests):
        found = _equality_test(case, entry)
        if found is not None and found[0] in at:
            derived.setdefault(at[found[0]], []).append((j, found[1]))
    _state["derived"] = derived
    _state["nInputs"], _state["nTests"], _state["nSeed"] = n_inputs, len(codes), n_seed
    _state["order"] = [("i", i) for i in range(n_seed)] + [("t", j) for j in range(len(codes))] + [("i", i) for i in range(n_seed, n_inputs)]
    _state["entry"] = entry
    _state["opts"] = {
        "testTimeoutMs": float(opts.get("testTimeoutMs", 100)),
        "loadTimeoutMs": float(opts.get("loadTimeoutMs", 1000)),
        "stallMs": float(opts.get("stallMs", 1000)),
        "maxTimeouts": int(opts.get("maxTimeouts", 2)),
        "generatedTimeoutMs": float(opts.get("generatedTimeoutMs", 20)),
        "maxRestarts": int(opts.get("maxRestarts", 5)),
        "memoryBytes": opts.get("memoryBytes"),
    }
    return [c is not None for c in codes]


def rank_run(programs):
    """One result per program: status (ok, load_error, load_timeout), the test marks (1 pass,
    0 fail, t timeout, s skipped after too many timeouts), the output fingerprints per input
    (`!Type` for an exception, `!timeout`, `!crash`, `!skipped`) and the wall ms it took."""
    if "codes" not in _state:
        raise RuntimeError("rank_prepare must come first (the session was restarted?)")
    opts = _state["opts"]
    return [_run_one(p, opts) for p in programs]
