// SECURITY.md, "Escape", part one: tricks that "work" inside the guest (introspection, smuggled
// code, unpickling) must act only inside the sandbox, and the kernel's attack surface (privileged
// syscalls, setuid binaries, TIOCSTI, /proc/sys, the supervisor) stays shut. Confinement is checked
// from outside: host canary files, a host process the guest must not see, host paths that must not
// appear. Sockets, network and leaked descriptors: escape-channels.test.ts; credentials of every
// guest thread: escape-credentials.test.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { jsonOut, plantHostCanaries, PROJECT_DIR, randomToken, sandboxedProcesses, type HostCanaries } from "./canaries.ts";

let canaries: HostCanaries;
let sandbox: Sandbox;
/** A host process the guest must never see, named by a unique marker. */
let hostMarker: string;
let hostMarkerProcess: ChildProcess;

beforeAll(async () => {
  canaries = await plantHostCanaries();
  hostMarker = randomToken("crucible-host-process");
  hostMarkerProcess = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)", hostMarker], { stdio: "ignore" });
  sandbox = createSandbox({ poolSize: 2 });
  await sandbox.warm(["python", "javascript"]);
});
afterAll(async () => {
  await sandbox.close();
  hostMarkerProcess.kill("SIGKILL");
  await canaries.remove();
});

/** Host paths a guest tries to write; none may exist afterwards. */
function hostWriteTargets(tag: string): Record<string, string> {
  return {
    tmp: join(canaries.tmpDir, `pwned-${tag}`),
    project: join(PROJECT_DIR, `pwned-${tag}-${process.pid}`),
  };
}

function expectHostUntouched(targets: Record<string, string>): void {
  for (const path of Object.values(targets)) expect(existsSync(path), path).toBe(false);
  expect(readFileSync(canaries.tmpFile, "utf8")).toBe(canaries.secret);
  expect(readFileSync(canaries.projectFile, "utf8")).toBe(canaries.secret);
}

/**
 * Python that defines `probe(o)`: given an `os` module however it was obtained, it tries to read
 * the host canaries, write host paths, run a shell that reads them, and list processes.
 */
function pythonProbe(targets: Record<string, string>): string {
  const reads = { tmp: canaries.tmpFile, project: canaries.projectFile, shadow: "/etc/shadow" };
  return [
    "import errno as _errno, json as _json",
    `_READS = ${JSON.stringify(reads)}`,
    `_WRITES = ${JSON.stringify(targets)}`,
    "def probe(o):",
    "    out = {}",
    "    def attempt(key, fn):",
    "        try:",
    "            out[key] = ['ok', fn()]",
    "        except OSError as e:",
    "            out[key] = ['err', _errno.errorcode.get(e.errno, str(e.errno))]",
    "    for key, path in _READS.items():",
    "        attempt('read ' + key, lambda: o.read(o.open(path, o.O_RDONLY), 4096).decode())",
    "    for key, path in _WRITES.items():",
    "        attempt('write ' + key, lambda: o.write(o.open(path, o.O_WRONLY | o.O_CREAT, 0o644), b'pwned'))",
    "    out['system'] = o.system('cat %s %s >/dev/null 2>&1' % (_READS['tmp'], _READS['project']))",
    "    cmdlines = []",
    "    for p in o.listdir('/proc'):",
    "        if p.isdigit():",
    "            try:",
    "                cmdlines.append(open('/proc/%s/cmdline' % p, 'rb').read().decode('utf-8', 'replace'))",
    "            except OSError:",
    "                pass",
    "    out['cmdlines'] = cmdlines",
    "    print(_json.dumps(out))",
  ].join("\n");
}

type ProbeResult = Record<string, [string, unknown]> & { system: number; cmdlines: string[] };

function expectProbeConfined(out: ProbeResult): void {
  for (const key of ["read tmp", "read project", "read shadow", "write tmp", "write project"]) {
    expect(out[key]?.[0], key).toBe("err");
  }
  expect(out.system).not.toBe(0);
  expect(out.cmdlines.some((c) => c.includes(hostMarker))).toBe(false);
  expect(JSON.stringify(out)).not.toContain(canaries.secret);
}

describe("Python introspection and code-smuggling tricks act only inside the sandbox", () => {
  const tricks: Record<string, string> = {
    "__subclasses__ (BuiltinImporter → posix)":
      "o = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'BuiltinImporter'][0].load_module('posix')",
    "__globals__ (os._wrap_close)":
      "o = [c for c in object.__subclasses__() if c.__name__ == '_wrap_close'][0].__init__.__globals__['sys'].modules['os']",
    "a module that re-exports os (tempfile._os)": "import importlib\no = importlib.import_module('tempfile')._os",
    "obfuscated exec of base64": `import base64\ngetattr(__builtins__, ''.join(map(chr, [101, 120, 101, 99])))(base64.b64decode('${Buffer.from("o = __import__('os')").toString("base64")}'))`,
  };
  let n = 0;
  for (const [name, obtainOs] of Object.entries(tricks)) {
    const tag = `py${n++}`;
    it(`should confine code that reaches os through ${name}`, async () => {
      const targets = hostWriteTargets(tag);
      const v = await sandbox.run({ language: "python", code: `${pythonProbe(targets)}\n${obtainOs}\nprobe(o)\n` });
      expect(v.status, v.stderr).toBe("ok");
      expectProbeConfined(jsonOut<ProbeResult>(v));
      expectHostUntouched(targets);
    });
  }

  it("should confine what a malicious pickle.loads payload runs", async () => {
    const targets = hostWriteTargets("pickle");
    const command = `cat ${canaries.tmpFile} ${canaries.projectFile} > /tmp/stolen 2>&1; echo pwned > ${targets["tmp"]}; echo pwned > ${targets["project"]}`;
    const v = await sandbox.run({
      language: "python",
      code: [
        "import os, pickle, json",
        "class Evil:",
        "    def __reduce__(self):",
        `        return (os.system, (${JSON.stringify(command)},))`,
        "payload = pickle.dumps(Evil())",
        "del Evil",
        "status = pickle.loads(payload)",
        "print(json.dumps({'status': status, 'stolen': open('/tmp/stolen').read()}))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    const out = jsonOut<{ status: number; stolen: string }>(v);
    // The payload ran (it is the guest's own code), but only inside: the shell found nothing.
    expect(out.status).not.toBe(0);
    expect(out.stolen).toContain("No such file or directory");
    expect(out.stolen).not.toContain(canaries.secret);
    expectHostUntouched(targets);
  });
});

describe("JavaScript tricks act only inside the sandbox", () => {
  function jsProbe(obtainProcess: string, targets: Record<string, string>): string {
    return [
      obtainProcess,
      "const fs = p.getBuiltinModule('node:fs');",
      "const cp = p.getBuiltinModule('node:child_process');",
      "const out = {};",
      "const attempt = (key, fn) => { try { out[key] = ['ok', fn()]; } catch (e) { out[key] = ['err', e.code]; } };",
      `for (const [k, path] of Object.entries(${JSON.stringify({ tmp: canaries.tmpFile, project: canaries.projectFile, shadow: "/etc/shadow" })})) attempt('read ' + k, () => fs.readFileSync(path, 'utf8'));`,
      `for (const [k, path] of Object.entries(${JSON.stringify(targets)})) attempt('write ' + k, () => fs.writeFileSync(path, 'pwned'));`,
      `try { cp.execSync('cat ${canaries.tmpFile} ${canaries.projectFile}', { stdio: 'pipe' }); out.system = 0; } catch (e) { out.system = e.status ?? -1; }`,
      "out.cmdlines = fs.readdirSync('/proc').filter((d) => /^\\d+$/.test(d)).map((d) => { try { return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8'); } catch { return ''; } });",
      "console.log(JSON.stringify(out));",
    ].join("\n");
  }
  const tricks: Record<string, string> = {
    "the Function constructor": "const p = ({}).constructor.constructor('return process')();",
    "a vm context escape": "const p = require('vm').runInNewContext(\"this.constructor.constructor('return process')()\");",
    "obfuscated eval": `const p = globalThis[atob('ZXZhbA==')](atob('${Buffer.from("process").toString("base64")}'));`,
  };
  let n = 0;
  for (const [name, obtainProcess] of Object.entries(tricks)) {
    const tag = `js${n++}`;
    it(`should confine code that reaches process through ${name}`, async () => {
      const targets = hostWriteTargets(tag);
      const v = await sandbox.run({ language: "javascript", code: jsProbe(obtainProcess, targets) });
      expect(v.status, v.stderr).toBe("ok");
      expectProbeConfined(jsonOut<ProbeResult>(v));
      expectHostUntouched(targets);
    });
  }
});

describe("kernel attack surface", () => {
  it("should refuse mount, unshare, keyctl, bpf, perf_event_open, io_uring and ptrace made through ctypes", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import ctypes, errno, json",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "libc.syscall.restype = ctypes.c_long",
        "buf = ctypes.create_string_buffer(256)",
        "s = lambda b: ctypes.addressof(ctypes.create_string_buffer(b))",
        "def sc(nr, *args):",
        "    ctypes.set_errno(0)",
        "    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])",
        "    return errno.errorcode.get(ctypes.get_errno(), 'OK') if r == -1 else 'returned %d' % r",
        "out = {",
        "  'mount': sc(165, s(b'none'), s(b'/tmp'), s(b'tmpfs'), 0, 0),",
        "  'unshare': sc(272, 0x10000000),",
        "  'keyctl': sc(250, 0, -3, 0),",
        "  'add_key': sc(248, s(b'user'), s(b'k'), s(b'v'), 1, -2),",
        "  'bpf': sc(321, 0, ctypes.addressof(buf), 128),",
        "  'perf_event_open': sc(298, ctypes.addressof(buf), 0, -1, -1, 0),",
        "  'io_uring_setup': sc(425, 8, ctypes.addressof(buf)),",
        "  'ptrace': sc(101, 16, 1, 0, 0),",
        "  'setns': sc(308, 0, 0),",
        "  'userfaultfd': sc(323, 0),",
        "  'open_by_handle_at': sc(304, -100, ctypes.addressof(buf), 0),",
        "  'process_vm_readv': sc(310, 1, 0, 0, 0, 0, 0),",
        "  'chroot': sc(161, s(b'/tmp')),",
        "  'clone3': sc(435, ctypes.addressof(buf), 88),",
        "  'x32 getpid': sc(0x40000000 + 39),",
        "}",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({
      mount: "EPERM",
      unshare: "EPERM",
      keyctl: "EPERM",
      add_key: "EPERM",
      bpf: "EPERM",
      perf_event_open: "EPERM",
      io_uring_setup: "EPERM",
      ptrace: "EPERM",
      setns: "EPERM",
      userfaultfd: "EPERM",
      open_by_handle_at: "EPERM",
      process_vm_readv: "EPERM",
      chroot: "EPERM",
      // clone3 answers ENOSYS so libc falls back to clone, whose flags bwrap constrains.
      clone3: "ENOSYS",
      "x32 getpid": "EPERM",
    });
  });

  it("should give no privilege through setuid binaries", async () => {
    // The host's su is setuid root: the attempt below is a real one.
    const su = statSync("/usr/bin/su");
    expect(su.mode & 0o4000).toBe(0o4000);
    expect(su.uid).toBe(0);
    const v = await sandbox.run({
      language: "python",
      code: [
        "import subprocess, json, os, errno",
        "out = {}",
        "for argv in (['su', 'root', '-c', 'id -u'], ['mount', '-t', 'tmpfs', 'none', '/tmp'], ['passwd', '-S', 'root'], ['newgrp', 'root']):",
        "    p = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=5)",
        "    out[argv[0]] = [p.returncode, p.stdout]",
        "try:",
        "    os.setuid(0)",
        "    out['setuid(0)'] = 'ok'",
        "except OSError as e:",
        "    out['setuid(0)'] = errno.errorcode[e.errno]",
        "out['uid'] = [os.getuid(), os.geteuid()]",
        "out['NoNewPrivs'] = [l.split()[1] for l in open('/proc/self/status') if l.startswith('NoNewPrivs')][0]",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    const out = jsonOut<Record<string, [number, string] | string | number[]>>(v);
    for (const tool of ["su", "mount", "passwd", "newgrp"]) {
      const [code, stdout] = out[tool] as [number, string];
      expect(code, tool).not.toBe(0);
      expect(stdout, tool).not.toMatch(/^0$/m);
    }
    expect(["EPERM", "EINVAL"]).toContain(out["setuid(0)"]);
    expect(out["uid"]).toEqual([65534, 65534]);
    expect(out["NoNewPrivs"]).toBe("1");
  });

  it("should refuse TIOCSTI on every terminal the guest can reach", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import ctypes, errno, fcntl, json, os, pty, termios",
        "out = {}",
        "try:",
        "    os.open('/dev/tty', os.O_RDWR)",
        "    out['/dev/tty'] = 'opened'",
        "except OSError as e:",
        "    out['/dev/tty'] = errno.errorcode[e.errno]",
        "m, s = pty.openpty()",
        "for name, fd in (('stdin', 0), ('stdout', 1), ('stderr', 2), ('pty master', m), ('pty slave', s)):",
        "    try:",
        "        fcntl.ioctl(fd, termios.TIOCSTI, b'x')",
        "        out[name] = 'injected'",
        "    except OSError as e:",
        "        out[name] = errno.errorcode[e.errno]",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "r = libc.syscall(ctypes.c_long(16), ctypes.c_long(s), ctypes.c_long(0x100005412), ctypes.c_char_p(b'x'))",
        "out['high bits set'] = errno.errorcode.get(ctypes.get_errno()) if r == -1 else 'injected'",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({
      "/dev/tty": "ENXIO",
      stdin: "EPERM",
      stdout: "EPERM",
      stderr: "EPERM",
      "pty master": "EPERM",
      "pty slave": "EPERM",
      "high bits set": "EPERM",
    });
  });

  // Opening for writing is enough to prove the hole: the test never writes a kernel setting.
  it("should not let a guest open the host's kernel settings in /proc/sys for writing", async () => {
    const corePattern = readFileSync("/proc/sys/kernel/core_pattern", "utf8");
    const files = ["/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches", "/proc/sys/vm/overcommit_memory", "/proc/sys/fs/file-max"];
    const [py, js] = await Promise.all([
      sandbox.run({
        language: "python",
        code: [
          "import errno, json, os",
          "out = {}",
          `for p in ${JSON.stringify(files)}:`,
          "    try:",
          "        os.close(os.open(p, os.O_WRONLY))",
          "        out[p] = 'writable'",
          "    except OSError as e:",
          "        out[p] = errno.errorcode[e.errno]",
          "print(json.dumps(out))",
        ].join("\n"),
      }),
      sandbox.run({
        language: "javascript",
        code: `const fs = require('fs'); const out = {}; for (const p of ${JSON.stringify(files)}) { try { fs.closeSync(fs.openSync(p, 'r+')); out[p] = 'writable'; } catch (e) { out[p] = e.code; } } console.log(JSON.stringify(out));`,
      }),
    ]);
    for (const v of [py, js]) {
      expect(v.status, v.stderr).toBe("ok");
      const out = jsonOut<Record<string, string>>(v);
      for (const file of files) expect(["EROFS", "EACCES", "EPERM"], `${file}: ${out[file]}`).toContain(out[file]);
    }
    expect(readFileSync("/proc/sys/kernel/core_pattern", "utf8")).toBe(corePattern);
  });

  it("should not let a guest read root-only kernel information in /proc", async () => {
    // Mode 0400, owner root on the host: only host root may read them.
    const files = ["/proc/slabinfo", "/proc/timer_list", "/proc/vmallocinfo", "/proc/pagetypeinfo"].filter((f) => existsSync(f));
    expect(files.length).toBeGreaterThan(0);
    const v = await sandbox.run({
      language: "python",
      code: [
        "import errno, json",
        "out = {}",
        `for p in ${JSON.stringify(files)}:`,
        "    try:",
        "        out[p] = 'read %d bytes' % len(open(p, 'rb').read(4096))",
        "    except OSError as e:",
        "        out[p] = errno.errorcode[e.errno]",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual(Object.fromEntries(files.map((f) => [f, "EACCES"])));
  });

  it("should keep the Python supervisor's descriptors, memory and life out of the guest's reach", async () => {
    const supervisorsBefore = sandboxedProcesses()
      .filter((p) => p.cmdline.includes("harness.py"))
      .map((p) => p.pid)
      .sort();
    const v = await sandbox.run({
      language: "python",
      code: [
        "import errno, json, os, signal",
        "out = {}",
        "for p, mode in (('/proc/1/fd/3', os.O_RDONLY), ('/proc/1/fd/4', os.O_WRONLY), ('/proc/1/mem', os.O_RDONLY), ('/proc/1/environ', os.O_RDONLY)):",
        "    try:",
        "        os.close(os.open(p, mode))",
        "        out[p] = 'opened'",
        "    except OSError as e:",
        "        out[p] = errno.errorcode[e.errno]",
        "for sig in (signal.SIGKILL, signal.SIGTERM, signal.SIGSTOP):",
        "    try:",
        "        os.kill(1, sig)",
        "    except OSError:",
        "        pass",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({ "/proc/1/fd/3": "EACCES", "/proc/1/fd/4": "EACCES", "/proc/1/mem": "EACCES", "/proc/1/environ": "EACCES" });
    const after = await sandbox.run({ language: "python", code: "print('still here')" });
    expect(after.stdout).toBe("still here\n");
    const supervisorsAfter = sandboxedProcesses()
      .filter((p) => p.cmdline.includes("harness.py"))
      .map((p) => p.pid)
      .sort();
    expect(supervisorsAfter).toEqual(supervisorsBefore);
  });
});
