"""The Python supervisor that runs inside the sandbox, as PID 1 of its pid namespace.

It is started once per sandbox, imports what runs need, and then serves requests from the host:
`run` forks a child per program; `open` forks a long-lived session child that loads code once and
then answers `call`s. After every run, and whenever a session child is replaced, it kills every
other process in the namespace (daemons and double forks included) and empties the writable areas,
so nothing of one run is there for the next.

Why it can be trusted with the verdict although guest code runs beside it: it is PID 1 of the
namespace, so signals from the guest do not reach it (the kernel drops them); it is not dumpable
and ptrace is refused by the seccomp filter, so its memory cannot be read or changed; children get
no descriptor of its channel to the host. Limits the kernel can enforce per process (CPU time, file
size, open files, address space) are set in the child; memory and process counts for the whole
sandbox are enforced from outside by the host's cgroup, and wall time is enforced by this process
with the host as a backstop that kills the whole sandbox.

Wire format on fd 3 (requests) and fd 4 (replies): 4-byte big-endian length, then UTF-8 JSON.
"""

import errno
import gc
import hashlib
import json
import os
import resource
import select
import signal
import stat
import struct
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import codec  # noqa: E402

REQ_FD, REP_FD = 3, 4
WRITABLE = ("/tmp", "/dev/shm")
WORKDIR = "/tmp"
HARNESS_FILES = {os.path.abspath(__file__), os.path.abspath(codec.__file__)}
CHUNK = 65536


# --------------------------------------------------------------------------------------- framing


def read_exact(fd, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = os.read(fd, n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def read_frame(fd):
    head = read_exact(fd, 4)
    if head is None:
        return None
    (n,) = struct.unpack(">I", head)
    body = read_exact(fd, n)
    if body is None:
        return None
    return json.loads(body.decode("utf-8"))


class RawJson:
    """JSON text already serialised, spliced into a frame as it is (a session call's value)."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def dump_json(obj):
    # ASCII-only JSON: a lone surrogate in a guest string travels as a \\udXXX escape, which is
    # valid JSON, instead of bytes that are not UTF-8.
    return json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(",", ":"))


def opaque_text(text):
    """True when equal wire texts need not mean equal values: an opaque repr, or a NaN inside."""
    return '"$t":"repr"' in text or '"v":"nan"' in text


DIGEST_CHUNK_ITEMS = 4096


def wire_text(value, digest_over):
    """The wire text of a call's value or, when it is longer than `digest_over` bytes, the text of a
    digest (SHA-256 and length of that wire text): a caller that only needs to know whether two big
    results are the same is spared hundreds of megabytes through two pipes. A top-level list or
    tuple is encoded a few thousand items at a time, giving the same text without ever holding all
    of it, or the whole tagged form, in memory (a reference returning 1.6 million tuples would not
    fit in its memory limit otherwise)."""
    if digest_over is None:
        return dump_json(codec.encode(value))
    if type(value) is list:
        head, tail = "[", "]"
    elif type(value) is tuple:
        head, tail = '{"$t":"tuple","v":[', "]}"
    else:
        text = dump_json(codec.encode(value))
        if len(text) <= digest_over or opaque_text(text):
            return text
        return digest_text(hashlib.sha256(text.encode("ascii")), len(text))
    sha = hashlib.sha256(head.encode("ascii"))
    size = len(head)
    parts = [head]
    for start in range(0, len(value), DIGEST_CHUNK_ITEMS):
        piece = dump_json(codec.encode(list(value[start:start + DIGEST_CHUNK_ITEMS])))[1:-1]
        if opaque_text(piece):
            return dump_json(codec.encode(value))
        if start:
            piece = "," + piece
        sha.update(piece.encode("ascii"))
        size += len(piece)
        if parts is not None:
            parts.append(piece)
            if size > digest_over:
                parts = None
    sha.update(tail.encode("ascii"))
    size += len(tail)
    if parts is not None and size <= digest_over:
        return "".join(parts) + tail
    return digest_text(sha, size)


def digest_text(sha, size):
    return dump_json({"$t": "digest", "v": {"sha256": sha.hexdigest(), "bytes": size}})


def write_frame(fd, obj):
    raw = obj.get("value")
    if isinstance(raw, RawJson):
        rest = dump_json({k: v for k, v in obj.items() if k != "value"})
        body = (rest[:-1] + ("," if len(rest) > 2 else "") + '"value":' + raw.text + "}").encode("ascii")
    else:
        body = dump_json(obj).encode("ascii")
    data = struct.pack(">I", len(body)) + body
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


# ------------------------------------------------------------------------------ process hygiene


def harden_self():
    """Not dumpable (no /proc/1/mem, no ptrace even where seccomp is absent); SIGINT not handled,
    so guest signals to PID 1 are dropped by the kernel."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_DUMPABLE = 4
        libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    except Exception:
        pass


def set_dumpable(flag):
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, flag, 0, 0, 0)  # PR_SET_DUMPABLE
    except Exception:
        pass


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_all_others():
    """SIGKILL every process in the namespace but ourselves, until none is left."""
    me = os.getpid()
    for _ in range(200):
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap()
        alive = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != me]
        if not alive:
            return True
        time.sleep(0.001)
    return False


def wipe(path):
    """Empty a writable area without following links, by descriptor and without recursion, so no
    depth or path length a guest builds stops it; fix modes a guest took away. Returns True when
    the area is empty."""
    try:
        top = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return False
    stack = [top]
    try:
        while stack:
            fd = stack[-1]
            child = None
            for entry in os.scandir(fd):
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                if not is_dir:
                    try:
                        os.unlink(entry.name, dir_fd=fd)
                    except OSError:
                        pass
                    continue
                try:
                    os.chmod(entry.name, 0o700, dir_fd=fd)
                except OSError:
                    pass
                try:
                    os.rmdir(entry.name, dir_fd=fd)
                except OSError:
                    try:
                        child = os.open(entry.name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                    except OSError:
                        continue
                    break
            if child is not None:
                stack.append(child)
                continue
            os.close(stack.pop())
            # Back in the parent, the now-empty directory is removed on its next scan.
        return not os.listdir(path)
    finally:
        for fd in stack:
            os.close(fd)


def area_full():
    for path in WRITABLE:
        try:
            st = os.statvfs(path)
        except OSError:
            continue
        if st.f_blocks and st.f_bavail * st.f_frsize < 64 * 1024:
            return True
        if st.f_files and st.f_favail < 16:
            return True
    return False


# ---------------------------------------------------------------------------------------- child


def apply_limits(limits):
    def setl(which, value):
        if value is None:
            return
        try:
            resource.setrlimit(which, (value, value))
        except (ValueError, OSError):
            pass

    cpu_ms = limits.get("cpuTimeMs")
    if cpu_ms:
        soft = max(1, -(-cpu_ms // 1000))
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
    setl(resource.RLIMIT_FSIZE, limits.get("maxFileBytes"))
    setl(resource.RLIMIT_NOFILE, limits.get("maxOpenFiles"))
    extra = limits.get("addressSpaceExtraBytes")
    if extra:
        setl(resource.RLIMIT_AS, vm_size() + extra)
    setl(resource.RLIMIT_NPROC, limits.get("maxProcesses"))
    setl(resource.RLIMIT_CORE, 0)
    setl(resource.RLIMIT_STACK, limits.get("stackBytes"))


def vm_size():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def enter_child(stdin_data, out_w, err_w, keep, limits):
    """Runs in the forked child before guest code: its own session, its limits, its stdio."""
    os.setsid()
    # fork keeps the supervisor's "not dumpable", which makes the child's own /proc files belong
    # to root: give the program its own /proc back (the supervisor stays not dumpable).
    set_dumpable(1)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    if stdin_data:
        fd = os.memfd_create("stdin")
        os.write(fd, stdin_data.encode("utf-8", "surrogatepass"))
        os.lseek(fd, 0, os.SEEK_SET)
    else:
        fd = os.open("/dev/null", os.O_RDONLY)
    os.dup2(fd, 0)
    os.dup2(out_w, 1)
    os.dup2(err_w, 2)
    for k in keep:
        os.set_inheritable(k, False)
    close_except(keep)
    os.chdir(WORKDIR)
    apply_limits(limits)
    gc.enable()


def close_except(keep):
    low = 3
    for fd in sorted(keep):
        if fd >= low:
            os.closerange(low, fd)
            low = fd + 1
    os.closerange(low, 1 << 20)


def guest_traceback(exc):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) not in HARNESS_FILES]
    lines = ["Traceback (most recent call last):\n"] if frames else []
    lines += traceback.format_list(frames)
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def exception_report(exc):
    return codec.encode_exception(exc, guest_traceback(exc))["v"]


def flush_std():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def child_run(req, res_w):
    """Execute one program. Exit status follows `python file.py`; the exception, if any, goes to
    res_w as data."""
    code = req["code"]
    sys.argv = [req.get("filename") or "main.py"] + list(req.get("argv") or [])
    status = 0
    try:
        compiled = compile(code, req.get("filename") or "main.py", "exec")
        exec(compiled, {"__name__": "__main__", "__builtins__": __builtins__})
    except SystemExit as e:
        status = exit_status(e)
    except BaseException as e:  # noqa: BLE001 - the guest's exception is the report
        status = 1
        try:
            sys.stderr.write(guest_traceback(e))
        except Exception:
            pass
        try:
            write_frame(res_w, {"exception": exception_report(e)})
        except Exception:
            pass
    flush_std()
    os._exit(status)


def exit_status(e):
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    try:
        sys.stderr.write(str(code) + "\n")
    except Exception:
        pass
    return 1


def session_child(req, call_r, res_w):
    """Load code once, then answer calls until the pipe closes. Guest state lives on between calls."""
    code = req["code"]
    sys.argv = [req.get("filename") or "main.py"]
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    try:
        exec(compile(code, req.get("filename") or "main.py", "exec"), namespace)
    except SystemExit as e:
        flush_std()
        write_frame(res_w, {"exitOnLoad": exit_status(e)})
        os._exit(exit_status(e))
    except BaseException as e:  # noqa: BLE001
        flush_std()
        write_frame(res_w, {"exception": exception_report(e)})
        os._exit(1)
    flush_std()
    write_frame(res_w, {"loaded": True})
    while True:
        call = read_frame(call_r)
        if call is None:
            os._exit(0)
        reply = {}
        try:
            if call.get("exec") is not None:
                exec(compile(call["exec"], "<cell>", "exec"), namespace)
                reply["value"] = None
            else:
                entry = call["entry"]
                fn = namespace.get(entry) if isinstance(entry, str) else None
                if fn is None or not callable(fn):
                    raise NameError("no callable named %r was defined by the loaded code" % (entry,))
                args = codec.decode(call.get("args") or [])
                kwargs = codec.decode(call.get("kwargs") or {})
                t0 = time.perf_counter_ns()
                value = fn(*args, **kwargs)
                reply["callNs"] = time.perf_counter_ns() - t0
                digest_over = call.get("digestOver")
                reply["value"] = RawJson(wire_text(value, digest_over if isinstance(digest_over, int) else None))
        except SystemExit as e:
            flush_std()
            write_frame(res_w, {"exitOnCall": exit_status(e)})
            os._exit(exit_status(e))
        except BaseException as e:  # noqa: BLE001
            reply = {"exception": exception_report(e)}
        flush_std()
        try:
            write_frame(res_w, reply)
        except (ValueError, TypeError) as e:
            write_frame(res_w, {"exception": exception_report(e)})


# ----------------------------------------------------------------------------------- supervisor


class Collector:
    """Reads a child's stdout and stderr through capped buffers."""

    def __init__(self, out_r, err_r, cap):
        self.fds = {out_r: bytearray(), err_r: bytearray()}
        self.order = (out_r, err_r)
        self.truncated = {out_r: False, err_r: False}
        self.open = {out_r, err_r}
        self.cap = cap
        self.over = False

    def feed(self, fd):
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.open.discard(fd)
            return
        buf = self.fds[fd]
        room = self.cap - len(buf)
        if len(data) > room:
            buf += data[: max(room, 0)]
            self.truncated[fd] = True
            self.over = True
        else:
            buf += data

    def drain(self):
        for _ in range(64):
            if not self.open or self.over:
                break
            r, _, _ = select.select(list(self.open), [], [], 0)
            if not r:
                break
            for fd in r:
                if fd in self.open and not self.over:
                    self.feed(fd)

    def take(self):
        out_r, err_r = self.order
        result = {
            "stdout": bytes(self.fds[out_r]).decode("utf-8", "replace"),
            "stderr": bytes(self.fds[err_r]).decode("utf-8", "replace"),
            "stdoutTruncated": self.truncated[out_r],
            "stderrTruncated": self.truncated[err_r],
        }
        for fd in self.fds:
            self.fds[fd] = bytearray()
            self.truncated[fd] = False
        self.over = False
        return result


def nonblocking_pipe():
    r, w = os.pipe()
    os.set_blocking(r, False)
    return r, w


def inodes_used():
    used = 0
    for path in WRITABLE:
        try:
            st = os.statvfs(path)
        except OSError:
            continue
        used += st.f_files - st.f_ffree
    return used


# tmpfs has no inode cap that bwrap can set; empty files cost no blocks, only kernel memory.
INODE_POLL_S = 0.05


def wait_child(pid, pidfd, collector, res_r, deadline, max_files=None):
    """Collect output until the child exits, a cap is hit or the deadline passes.
    Returns (how, frames) where how is 'exited', 'timeout', 'output_limit' or 'disk_limit'."""
    frames = []
    res_buf = bytearray()
    watch = [pidfd, res_r, *collector.open]
    base = inodes_used() if max_files else 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "timeout", frames
        if max_files and inodes_used() - base > max_files:
            return "disk_limit", frames
        r, _, _ = select.select(watch, [], [], min(left, INODE_POLL_S) if max_files else left)
        for fd in r:
            if fd == pidfd:
                collector.drain()
                res_buf += drain_fd(res_r)
                frames += split_frames(res_buf)
                return ("output_limit" if collector.over else "exited"), frames
            if fd == res_r:
                data = drain_fd(res_r)
                if not data:
                    watch.remove(res_r)
                res_buf += data
                frames += split_frames(res_buf)
            else:
                collector.feed(fd)
                if collector.over:
                    return "output_limit", frames
                if fd not in collector.open:
                    watch.remove(fd)


def drain_fd(fd):
    out = bytearray()
    while True:
        try:
            data = os.read(fd, CHUNK)
        except (BlockingIOError, OSError):
            break
        if not data:
            break
        out += data
        if len(out) > 64 * 1024 * 1024:
            break
    return bytes(out)


# Bytes of the last frame parsed, so batches can bound what they hold.
last_frame_bytes = 0
# A batch of calls stops early (the host asks again for the rest) once its replies hold this much.
BATCH_REPLY_BYTES = 32 * 1024 * 1024


def split_frames(buf):
    global last_frame_bytes
    frames = []
    while len(buf) >= 4:
        (n,) = struct.unpack(">I", bytes(buf[:4]))
        if n > 256 * 1024 * 1024:
            del buf[:]
            frames.append({"corrupt": True})
            break
        if len(buf) < 4 + n:
            break
        body = bytes(buf[4 : 4 + n])
        last_frame_bytes = n
        del buf[: 4 + n]
        try:
            frames.append(json.loads(body.decode("utf-8")))
        except ValueError:
            frames.append({"corrupt": True})
    return frames


def rusage_of(status_rusage):
    _, status, ru = status_rusage
    cpu_ms = (ru.ru_utime + ru.ru_stime) * 1000.0
    return status, cpu_ms, ru.ru_maxrss * 1024


def exit_fields(status):
    if os.WIFSIGNALED(status):
        return {"exitCode": None, "signal": signal.Signals(os.WTERMSIG(status)).name}
    return {"exitCode": os.WEXITSTATUS(status), "signal": None}


def classify(how, fields, exception, limits):
    """The verdict status from what the supervisor observed, never from what the guest printed."""
    sig = fields.get("signal")
    if how == "timeout":
        return "timeout", "wall time limit of %d ms reached" % limits.get("wallTimeMs", 0)
    if how == "output_limit":
        return "output_limit", "output passed %d bytes" % limits.get("maxOutputBytes", 0)
    if how == "disk_limit":
        return "disk_limit", "the writable area holds more than %d files" % limits.get("maxFiles", 0)
    if sig == "SIGXCPU":
        return "timeout", "CPU time limit of %d ms reached" % limits.get("cpuTimeMs", 0)
    if sig == "SIGXFSZ":
        return "disk_limit", "a file passed the size limit of %d bytes" % limits.get("maxFileBytes", 0)
    if fields.get("exitCode") == 0 and sig is None:
        # Exit status first: a guest that writes a fake exception to its result pipe and exits 0
        # gets `ok`, never a status of its choosing.
        return "ok", None
    if exception and exception.get("type") == "MemoryError":
        return "memory", "the program ran out of memory (MemoryError)"
    if sig == "SIGKILL":
        return "killed", "the program was killed by SIGKILL"
    full = area_full()
    if full:
        return "disk_limit", "the writable area is full"
    if sig:
        return "error", "the program was killed by %s" % sig
    return "error", None


class Supervisor:
    def __init__(self):
        self.poisoned = False
        self.session = None  # (pid, pidfd, call_w, res_r, collector, req)

    def serve(self):
        while True:
            req = read_frame(REQ_FD)
            if req is None:
                return
            op = req.get("op")
            try:
                if op == "run":
                    reply = self.run(req)
                elif op == "open":
                    reply = self.open(req)
                elif op == "call":
                    reply = self.call(req)
                elif op == "calls":
                    reply = self.calls(req)
                elif op == "end":
                    # The session is over: everything of it goes, as after a run.
                    self.close_session()
                    reply = {"status": "ok"}
                elif op == "ping":
                    reply = {"pong": True}
                else:
                    reply = {"status": "sandbox_error", "reason": "unknown op %r" % (op,)}
            except Exception as e:  # noqa: BLE001 - report, keep serving
                reply = {"status": "sandbox_error", "reason": "supervisor: %s: %s" % (type(e).__name__, e)}
            reply["id"] = req.get("id")
            write_frame(REP_FD, reply)
            if self.poisoned:
                # Something of a run could not be removed: end this sandbox, the host starts another.
                os._exit(75)

    def spawn(self, req, target):
        limits = req.get("limits") or {}
        out_r, out_w = nonblocking_pipe()
        err_r, err_w = nonblocking_pipe()
        res_r, res_w = nonblocking_pipe()
        call_r = call_w = None
        if target == "session":
            call_r, call_w = os.pipe()
        flush_std()
        pid = os.fork()
        if pid == 0:
            try:
                keep = {1, 2, res_w} | ({call_r} if call_r is not None else set())
                # Move the kept descriptors out of the way of 0..2 before dup2 replaces them.
                enter_child(req.get("stdin"), out_w, err_w, sorted(k for k in keep if k > 2), limits)
                os.set_blocking(res_w, True)
                if target == "run":
                    child_run(req, res_w)
                else:
                    session_child(req, call_r, res_w)
            finally:
                os._exit(70)
        for fd in (out_w, err_w, res_w):
            os.close(fd)
        if call_r is not None:
            os.close(call_r)
        pidfd = os.pidfd_open(pid)
        return pid, pidfd, Collector(out_r, err_r, int(limits.get("maxOutputBytes", 1 << 20))), res_r, call_w

    def finish(self, pid, pidfd, collector, res_r, call_w, how, t0, limits, frames):
        if how != "exited":
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        try:
            status_rusage = os.wait4(pid, 0)
        except ChildProcessError:
            status_rusage = (pid, 9, None)
        wall_ms = (time.monotonic() - t0) * 1000.0
        if status_rusage[2] is not None:
            status, cpu_ms, peak = rusage_of(status_rusage)
        else:
            status, cpu_ms, peak = 9, 0.0, 0
        collector.drain()
        output = collector.take()
        for fd in list(collector.fds) + [res_r, pidfd] + ([call_w] if call_w is not None else []):
            try:
                os.close(fd)
            except OSError:
                pass
        fields = exit_fields(status)
        exception = next((f["exception"] for f in frames if "exception" in f), None)
        verdict, reason = classify(how, fields, exception, limits)
        clean = kill_all_others()
        reply = {"status": verdict, "reason": reason, "wallMs": wall_ms, "cpuMs": cpu_ms, "peakMemoryBytes": peak}
        reply.update(fields)
        reply.update(output)
        if exception:
            reply["exception"] = exception
        if not clean:
            reply["leftovers"] = True
        return reply

    def run(self, req):
        limits = req.get("limits") or {}
        t0 = time.monotonic()
        pid, pidfd, collector, res_r, _ = self.spawn(req, "run")
        deadline = t0 + limits.get("wallTimeMs", 10000) / 1000.0
        how, frames = wait_child(pid, pidfd, collector, res_r, deadline, limits.get("maxFiles"))
        reply = self.finish(pid, pidfd, collector, res_r, None, how, t0, limits, frames)
        if not all([wipe(path) for path in WRITABLE]):
            self.poisoned = True
        return reply

    # -------------------------------------------------------------------------------- sessions

    def open(self, req):
        """Start the session child and wait until its code has loaded."""
        self.close_session()
        limits = req.get("limits") or {}
        t0 = time.monotonic()
        pid, pidfd, collector, res_r, call_w = self.spawn(req, "session")
        deadline = t0 + limits.get("wallTimeMs", 10000) / 1000.0
        how, frame = self.await_frame(pidfd, collector, res_r, deadline)
        if how == "frame" and frame.get("loaded"):
            self.session = {"pid": pid, "pidfd": pidfd, "call_w": call_w, "res_r": res_r,
                            "collector": collector, "req": req, "buf": bytearray(), "proc": ProcStats(pid),
                            "cpu": None}
            reply = {"status": "ok", "reason": None, "wallMs": (time.monotonic() - t0) * 1000.0,
                     "cpuMs": 0.0, "peakMemoryBytes": 0, "exitCode": None, "signal": None}
            reply.update(collector.take())
            return reply
        frames = [frame] if how == "frame" else []
        if how == "frame":
            how = "exited"
            try:
                select.select([pidfd], [], [], max(0.0, deadline - time.monotonic()))
            except OSError:
                pass
        return self.finish(pid, pidfd, collector, res_r, call_w, how, t0, limits, frames)

    def await_frame(self, pidfd, collector, res_r, deadline, buf=None):
        buf = bytearray() if buf is None else buf
        watch = [pidfd, res_r, *collector.open]
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return "timeout", None
            r, _, _ = select.select(watch, [], [], left)
            if res_r in r:
                buf += drain_fd(res_r)
                frames = split_frames(buf)
                if frames:
                    collector.drain()
                    return "frame", frames[0]
            for fd in r:
                if fd in (pidfd, res_r):
                    continue
                collector.feed(fd)
                if collector.over:
                    return "output_limit", None
                if fd not in collector.open and fd in watch:
                    watch.remove(fd)
            if pidfd in r:
                buf += drain_fd(res_r)
                frames = split_frames(buf)
                collector.drain()
                if frames:
                    return "frame", frames[0]
                return "exited", None

    def call(self, req):
        s = self.session
        if s is None:
            return {"status": "sandbox_error", "reason": "no session is open"}
        timeout_ms = req.get("timeoutMs") or (s["req"].get("limits") or {}).get("wallTimeMs", 10000)
        t0 = time.monotonic()
        # The child is blocked reading between calls, so its CPU time then is where the last call
        # left it: one /proc read per call instead of two.
        cpu0 = s["cpu"] if s["cpu"] is not None else s["proc"].cpu_ms()
        body = {k: req[k] for k in ("entry", "args", "kwargs", "exec", "digestOver") if k in req}
        try:
            write_frame(s["call_w"], body)
        except OSError:
            pass
        how, frame = self.await_frame(s["pidfd"], s["collector"], s["res_r"], t0 + timeout_ms / 1000.0, s["buf"])
        if how == "frame" and ("value" in frame or "exception" in frame):
            wall_ms = (time.monotonic() - t0) * 1000.0
            s["cpu"] = s["proc"].cpu_ms()
            reply = {"status": "ok" if "value" in frame else "error", "reason": None, "wallMs": wall_ms,
                     "cpuMs": max(0.0, s["cpu"] - cpu0), "peakMemoryBytes": s["proc"].peak_bytes(),
                     "exitCode": None, "signal": None}
            if "exception" in frame:
                reply["exception"] = frame["exception"]
                if frame["exception"].get("type") == "MemoryError":
                    reply["status"], reply["reason"] = "memory", "the call ran out of memory (MemoryError)"
            else:
                reply["value"] = frame["value"]
                if "callNs" in frame:
                    reply["callMs"] = frame["callNs"] / 1e6
            reply.update(s["collector"].take())
            return reply
        # The call hung, crashed the interpreter, flooded output or exited: end this child,
        # report what happened, and load the code again so the session goes on.
        if how == "frame":
            how = "exited"
            select.select([s["pidfd"]], [], [], 1.0)
        self.session = None
        s["proc"].close()
        limits = dict(s["req"].get("limits") or {})
        limits["wallTimeMs"] = timeout_ms
        reply = self.finish(s["pid"], s["pidfd"], s["collector"], s["res_r"], s["call_w"], how, t0, limits,
                            [frame] if frame else [])
        if reply.get("status") == "ok":
            # A call that ends the interpreter (sys.exit(0), os._exit(0)) returned nothing: that is
            # no success, whatever the exit status says.
            reply["status"] = "error"
            reply["reason"] = "the call ended the interpreter (exit status %s) instead of returning" % reply.get("exitCode")
        for path in WRITABLE:
            wipe(path)
        restart = self.open(s["req"])
        reply["restarted"] = restart["status"] == "ok"
        if not reply["restarted"]:
            reply["restartError"] = restart.get("reason") or restart.get("status")
        return reply

    def calls(self, req):
        """Many calls in one round trip with the host, each with its own timeout and verdict; stops
        after the first one that does not end ok when asked to."""
        results = []
        held = 0
        for one in req.get("calls") or []:
            body = {"entry": req.get("entry"), "args": one.get("args"), "kwargs": one.get("kwargs"),
                    "timeoutMs": one.get("timeoutMs"), "digestOver": req.get("digestOver")}
            reply = self.call(body)
            results.append(reply)
            held += last_frame_bytes
            if req.get("stopOnFailure") and reply.get("status") != "ok":
                break
            if self.session is None or held > BATCH_REPLY_BYTES:
                break
        return {"status": "ok", "results": results}

    def close_session(self):
        if self.session is not None:
            kill_all_others()
            self.session["proc"].close()
            for key in ("pidfd", "call_w", "res_r"):
                try:
                    os.close(self.session[key])
                except OSError:
                    pass
            for fd in self.session["collector"].fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.session = None
            for path in WRITABLE:
                wipe(path)


class ProcStats:
    """A live child's CPU time and peak memory, read through its /proc files kept open: a session
    call reads them twice, and opening and parsing them each time cost more than a small call."""

    def __init__(self, pid):
        self.fds = []
        for name in ("stat", "status"):
            try:
                self.fds.append(os.open("/proc/%d/%s" % (pid, name), os.O_RDONLY | os.O_CLOEXEC))
            except OSError:
                self.fds.append(-1)

    def cpu_ms(self):
        try:
            parts = os.pread(self.fds[0], 4096, 0).rsplit(b")", 1)[1].split()
            return (int(parts[11]) + int(parts[12])) * 1000.0 / CLK_TCK
        except (OSError, IndexError, ValueError):
            return 0.0

    def peak_bytes(self):
        try:
            data = os.pread(self.fds[1], 16384, 0)
            at = data.find(b"VmHWM:")
            return int(data[at + 6:data.index(b"\n", at)].split()[0]) * 1024 if at >= 0 else 0
        except (OSError, IndexError, ValueError):
            return 0

    def close(self):
        for fd in self.fds:
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self.fds = [-1, -1]


CLK_TCK = os.sysconf("SC_CLK_TCK")


def close_inherited():
    """Close every descriptor the sandbox inherited beyond the host channel (fds 0-4)."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd > REP_FD:
            try:
                if os.get_inheritable(fd):
                    os.close(fd)
            except OSError:
                pass


def main():
    close_inherited()
    harden_self()
    for name in sys.argv[1:]:
        if name.startswith("--preload="):
            for mod in name.split("=", 1)[1].split(","):
                if mod:
                    try:
                        __import__(mod)
                    except ImportError:
                        pass
    gc.collect()
    gc.freeze()
    write_frame(REP_FD, {"ready": True, "python": sys.version.split()[0], "pid": os.getpid()})
    Supervisor().serve()


if __name__ == "__main__":
    main()
