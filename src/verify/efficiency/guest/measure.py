# Crucible's efficiency probe: trusted code that runs inside the sandbox, in the same interpreter
# as the program it measures (a clock outside the process would time the round trip, not the
# call). The program is given as source and loaded into a fresh namespace for every repetition,
# as ENAMEL does, so nothing one repetition caches (lru_cache, module globals) speeds up the next.
#
# Everything here is bound at import, before any measured code is loaded; a hostile program can
# still lie about its own time from inside the interpreter (this is no boundary), but the host's
# wall-time cap on every call holds regardless.
import builtins as _builtins
import copy as _copy
import gc as _gc
import random as _random
import signal as _signal
import sys as _sys
import time as _time

_perf = _time.perf_counter
# The calling thread's CPU clock: inside the sandbox the process-wide one (CLOCK_PROCESS_CPUTIME_ID)
# only advances at scheduler ticks, the thread clock to the nanosecond. Threads the program starts
# are not counted.
_cpu = _time.thread_time
_deepcopy = _copy.deepcopy
_ATOMS = frozenset([int, float, str, bool, type(None), bytes, complex])
_settrace = _sys.settrace
_setitimer = _signal.setitimer
# The alarm follows the clock being measured: wall time (SIGALRM), or the process's CPU time (SIGPROF).
_TIMERS = {"wall": (_signal.ITIMER_REAL, _signal.SIGALRM), "cpu": (_signal.ITIMER_PROF, _signal.SIGPROF)}


class _Overtime(BaseException):
    """Raised by the alarm in the measured call. A BaseException, so `except Exception` in the
    program does not swallow it (a bare `except` still can: the host's wall-time cap is the backstop)."""


class _OverCap(BaseException):
    """Raised by the tracer once the instruction cap is passed."""


class _Sink:
    """Where the program's prints go while it is measured: writing is cheap and floods nothing."""

    def write(self, text):
        return len(text)

    def flush(self):
        pass


_SINK = _Sink()


def _fresh(x):
    """A copy of an input for one repetition, so a program that changes its arguments cannot
    change the next repetition's. Inputs arrive decoded from tagged JSON, so they share no
    objects: a tree copy is what deepcopy would make, only faster (immutable atoms are kept,
    flat lists copied in C), which matters for inputs of tens of thousands of elements."""
    t = type(x)
    if t in _ATOMS:
        return x
    if t is list:
        for e in x:
            if type(e) not in _ATOMS:
                return [_fresh(e) for e in x]
        return x[:]
    if t is tuple:
        for e in x:
            if type(e) not in _ATOMS:
                return tuple([_fresh(e) for e in x])
        return x
    if t is dict:
        return {k: _fresh(v) for k, v in x.items()}
    if t is set:
        return set(x)
    if t is frozenset:
        return x
    return _deepcopy(x)


def _alarm(signum, frame):
    raise _Overtime()


def _load(compiled, entry):
    ns = {"__name__": "__main__", "__builtins__": _builtins}
    exec(compiled, ns)
    fn = ns.get(entry)
    if fn is None or not callable(fn):
        raise NameError("the program defines no function named %r" % (entry,))
    return fn


def _failure(status, exc):
    return {"status": status, "exception": {"type": type(exc).__name__, "message": str(exc)[:2000]}}


def _classify(exc):
    if isinstance(exc, _Overtime):
        return {"status": "timeout"}
    if isinstance(exc, _OverCap):
        return {"status": "capped"}
    if isinstance(exc, MemoryError):
        return _failure("memory", exc)
    if isinstance(exc, OverflowError):
        return _failure("overflow", exc)
    return _failure("error", exc)


def crucible_time(program, entry, args, reps, limit_s, clock):
    """Times `entry(*args)` `reps` times, each in a fresh load of `program`, with the garbage
    collector off and an alarm at `limit_s` seconds of `clock` ("wall" or "cpu"; covering the load
    and the call, as ENAMEL's does). Returns the status, the wall and CPU time of each repetition
    that finished (seconds), and the output of the first one."""
    try:
        compiled = compile(program, "main.py", "exec")
    except BaseException as exc:  # noqa: BLE001 - a program that does not compile is a result
        return _failure("error", exc)
    timer, signum = _TIMERS[clock]
    times = []
    cpu = []
    output = None
    previous = _signal.signal(signum, _alarm)
    stdout, stderr = _sys.stdout, _sys.stderr
    try:
        for rep in range(reps):
            a = _fresh(args)
            _gc.collect()
            _gc.disable()
            _sys.stdout = _sys.stderr = _SINK
            try:
                _setitimer(timer, limit_s)
                fn = _load(compiled, entry)
                c0 = _cpu()
                t0 = _perf()
                value = fn(*a)
                t1 = _perf()
                c1 = _cpu()
            finally:
                _setitimer(timer, 0)
                _sys.stdout, _sys.stderr = stdout, stderr
                _gc.enable()
            if (t1 - t0 if clock == "wall" else c1 - c0) > limit_s:
                # The program caught the alarm and went on: over the limit all the same.
                return {"status": "timeout", "times": times, "cpu": cpu}
            times.append(t1 - t0)
            cpu.append(c1 - c0)
            if rep == 0:
                output = value
            del value, fn, a
    except BaseException as exc:  # noqa: BLE001
        out = _classify(exc)
        out["times"] = times
        out["cpu"] = cpu
        return out
    finally:
        _signal.signal(signum, previous)
    return {"status": "ok", "times": times, "cpu": cpu, "output": output}


def crucible_count(program, entry, args, cap, guard_s):
    """Counts the Python bytecode instructions `entry(*args)` executes (every Python frame it
    runs, library code included; C code counts as the instruction that called it). Deterministic:
    hash seeds are fixed in the sandbox and `random` is seeded before the call. Stops once the
    count passes `cap` (status "capped"), or at `guard_s` seconds of CPU time (status "timeout"):
    work done in C adds few instructions however long it runs, so instructions alone bound
    nothing."""
    try:
        compiled = compile(program, "main.py", "exec")
        fn = _load(compiled, entry)
    except BaseException as exc:  # noqa: BLE001
        return _failure("error", exc)
    a = _fresh(args)
    count = 0
    capped = False

    def local(frame, event, arg):
        nonlocal count, capped
        if event == "opcode":
            count += 1
            if count > cap:
                capped = True
                raise _OverCap()
        return local

    def start(frame, event, arg):
        frame.f_trace_lines = False
        frame.f_trace_opcodes = True
        return local

    stdout, stderr = _sys.stdout, _sys.stderr
    _random.seed(0)
    _gc.collect()
    _gc.disable()
    _sys.stdout = _sys.stderr = _SINK
    timer, signum = _TIMERS["cpu"]
    previous = _signal.signal(signum, _alarm)
    try:
        _setitimer(timer, guard_s)
        _settrace(start)
        try:
            value = fn(*a)
        finally:
            _settrace(None)
            _setitimer(timer, 0)
    except BaseException as exc:  # noqa: BLE001
        out = {"status": "capped"} if capped else _classify(exc)
        out["instructions"] = count
        return out
    finally:
        _signal.signal(signum, previous)
        _sys.stdout, _sys.stderr = stdout, stderr
        _gc.enable()
    if capped:
        # The program caught the cap's exception (tracing stopped there): over the cap all the same.
        return {"status": "capped", "instructions": count}
    return {"status": "ok", "instructions": count, "output": value}
