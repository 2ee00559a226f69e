// SECURITY.md, "Persistence across runs": one warm worker (poolSize 1) serves run A and then run B;
// nothing A leaves behind (files, start-up hooks, shadowing modules, patched builtins, daemons,
// IPC objects) may reach B. Leftover processes are also looked for from the host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { hostProcessesMarked, jsonOut, randomToken, sandboxedProcesses, waitFor } from "./canaries.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 1 });
  await sandbox.warm(["python"]);
});
afterAll(async () => {
  await sandbox.close();
});

/** Host pids of this sandbox's Python supervisors: the same list before and after means the same warm worker. */
function supervisors(): number[] {
  return sandboxedProcesses()
    .filter((p) => p.cmdline.includes("harness.py"))
    .map((p) => p.pid)
    .sort();
}

const listWritable = "import json, os\nprint(json.dumps({'tmp': sorted(os.listdir('/tmp')), 'shm': sorted(os.listdir('/dev/shm'))}))";

describe("files", () => {
  it("should not show run B anything run A wrote to /tmp or /dev/shm on the same warm worker", async () => {
    const worker = supervisors();
    expect(worker).toHaveLength(1);
    const a = await sandbox.run({
      language: "python",
      code: [
        "import os",
        "from multiprocessing import shared_memory",
        "open('/tmp/a.txt', 'w').write('from run A')",
        "open('/tmp/.hidden', 'w').write('x')",
        "os.mkfifo('/tmp/fifo')",
        "os.makedirs('/tmp/locked/inner')",
        "open('/tmp/locked/inner/f', 'w').write('x')",
        "os.chmod('/tmp/locked/inner', 0)",
        "os.chmod('/tmp/locked', 0)",
        "open('/dev/shm/b', 'w').write('from run A')",
        "shm = shared_memory.SharedMemory(name='crucible_a', create=True, size=4096)",
        "shm.buf[0] = 7",
        "os.symlink('/tmp/a.txt', '/tmp/link')",
        "print(sorted(os.listdir('/tmp')), sorted(os.listdir('/dev/shm')))",
      ].join("\n"),
    });
    expect(a.status, a.stderr).toBe("ok");
    expect(a.stdout).toBe("['.hidden', 'a.txt', 'fifo', 'link', 'locked'] ['b', 'crucible_a']\n");
    const b = await sandbox.run({ language: "python", code: listWritable });
    expect(b.status, b.stderr).toBe("ok");
    expect(jsonOut(b)).toEqual({ tmp: [], shm: [] });
    expect(supervisors()).toEqual(worker);
  });

  it("should not show a JavaScript run anything an earlier JavaScript run wrote", async () => {
    const a = await sandbox.run({
      language: "javascript",
      code: "const fs = require('fs'); fs.writeFileSync('/tmp/a.txt', 'A'); fs.writeFileSync('/dev/shm/b', 'A'); console.log(fs.readdirSync('/tmp').sort().join(','))",
    });
    expect([a.status, a.stdout]).toEqual(["ok", "a.txt\n"]);
    const b = await sandbox.run({
      language: "javascript",
      code: "const fs = require('fs'); console.log(JSON.stringify({ tmp: fs.readdirSync('/tmp'), shm: fs.readdirSync('/dev/shm') }))",
    });
    expect(b.status, b.stderr).toBe("ok");
    // A CommonJS program is compiled in memory: the harness writes nothing to /tmp for it.
    expect(jsonOut(b)).toEqual({ tmp: [], shm: [] });
  });

  // Its own warm worker: a worker this breaks would fail every later test of the file.
  it("should discard a directory tree nested thousands deep and keep serving runs", async () => {
    const own = createSandbox({ poolSize: 1 });
    try {
      const a = await own.run({
        language: "python",
        code: "import os\nos.chdir('/tmp')\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\nopen('deep.txt', 'w').write('from run A')\nprint('nested')",
      });
      expect([a.status, a.reason, a.stdout]).toEqual(["ok", null, "nested\n"]);
      const b = await own.run({ language: "python", code: listWritable });
      expect([b.status, b.reason]).toEqual(["ok", null]);
      expect(jsonOut(b)).toEqual({ tmp: [], shm: [] });
    } finally {
      await own.close();
    }
  });
});

describe("start-up hooks and shadowing modules", () => {
  it("should ignore sitecustomize, usercustomize, .pth files and a shadowing json.py, in the same run and the next", async () => {
    const a = await sandbox.run({
      language: "python",
      code: [
        "import os, sys",
        "hook = \"raise SystemExit('hook ran')\\n\"",
        "for name in ('sitecustomize.py', 'usercustomize.py', 'json.py', 'csv.py', 'decimal.py'):",
        "    open('/tmp/' + name, 'w').write(hook)",
        "open('/tmp/evil.pth', 'w').write(\"import sys; sys.exit('pth ran')\\n\")",
        "site = '/tmp/.local/lib/python%d.%d/site-packages' % sys.version_info[:2]",
        "os.makedirs(site)",
        "open(site + '/evil.pth', 'w').write(\"import sys; sys.exit('user pth ran')\\n\")",
        "open(site + '/sitecustomize.py', 'w').write(hook)",
        // The harness has not imported csv or decimal: importing them now is the real shadowing attempt.
        "import json, csv, decimal",
        "print(json.__file__, csv.__file__, decimal.__file__)",
      ].join("\n"),
    });
    expect(a.status, a.stderr).toBe("ok");
    expect(a.stdout).toMatch(/^\/usr\/lib\/python3[^ ]*\/json\/__init__\.py \/usr\/lib\/python3[^ ]*\/csv\.py \/usr\/lib\/python3[^ ]*\/decimal\.py\n$/);
    const b = await sandbox.run({ language: "python", code: "import json, csv, decimal\nprint(json.dumps({'ok': True}), csv.__file__.startswith('/usr/lib/'))" });
    expect([b.status, b.stdout]).toEqual(["ok", '{"ok": true} True\n']);
  });

  it("should not let node_modules planted by one JavaScript run reach the next", async () => {
    const a = await sandbox.run({
      language: "javascript",
      code: [
        "const fs = require('fs');",
        "fs.mkdirSync('/tmp/node_modules/evil', { recursive: true });",
        "fs.writeFileSync('/tmp/node_modules/evil/index.js', \"module.exports = 'evil loaded'\");",
        "fs.writeFileSync('/tmp/node_modules/fs.js', \"module.exports = 'shadowed'\");",
        "console.log(require('evil'), typeof require('fs').readFileSync);",
      ].join("\n"),
    });
    // Inside its own run the module is the guest's own code: that is allowed.
    expect([a.status, a.stdout]).toEqual(["ok", "evil loaded function\n"]);
    const b = await sandbox.run({
      language: "javascript",
      code: "let evil; try { evil = require('evil'); } catch (e) { evil = e.code; } console.log(evil, typeof require('fs').readFileSync)",
    });
    expect([b.status, b.stdout]).toEqual(["ok", "MODULE_NOT_FOUND function\n"]);
  });
});

describe("monkey-patching", () => {
  it("should not let Python builtins and modules patched by run A reach run B", async () => {
    const a = await sandbox.run({
      language: "python",
      code: [
        "import builtins, json, os, sys",
        "builtins.len = lambda x: -1",
        "builtins.open = None",
        "json.dumps = lambda *a, **k: 'patched'",
        "os.listdir = lambda *a: ['patched']",
        "sys.modules['math'] = None",
        "print(len([1, 2]), json.dumps({}), os.listdir('/'))",
      ].join("\n"),
    });
    expect([a.status, a.stdout]).toEqual(["ok", "-1 patched ['patched']\n"]);
    const b = await sandbox.run({
      language: "python",
      code: "import json, os, math\nprint(len([1, 2]), json.dumps({'a': 1}), os.listdir('/tmp'), math.floor(2.5), open is not None)",
    });
    expect([b.status, b.stdout]).toEqual(["ok", '2 {"a": 1} [] 2 True\n']);
  });

  it("should not let a Python session's patches reach a run or a new session", async () => {
    // abs and a new builtin: patching what the session harness itself uses (len, json) only breaks
    // the guest's own session, which then restarts.
    const code = "import builtins\ndef probe():\n    return [abs(-2), getattr(builtins, 'crucible_marker', None)]\n";
    const session = await sandbox.session({ language: "python", code });
    try {
      const patched = await session.exec("import builtins\nbuiltins.abs = lambda x: 'patched'\nbuiltins.crucible_marker = 'A'");
      expect(patched.status).toBe("ok");
      expect((await session.call("probe")).value).toEqual(["patched", "A"]);
      const run = await sandbox.run({ language: "python", code: "import builtins\nprint(abs(-2), hasattr(builtins, 'crucible_marker'))" });
      expect(run.stdout).toBe("2 False\n");
      const other = await sandbox.session({ language: "python", code });
      try {
        expect((await other.call("probe")).value).toEqual([2, null]);
      } finally {
        await other.close();
      }
    } finally {
      await session.close();
    }
  });

  it("should not let JavaScript prototypes and globals patched by run A reach run B", async () => {
    const a = await sandbox.run({
      language: "javascript",
      code: "Object.prototype.polluted = 'yes'; Array.prototype.map = () => 'patched'; JSON.parse = () => 'patched'; globalThis.fetch = null; console.log(({}).polluted, [1].map((x) => x))",
    });
    expect([a.status, a.stdout]).toEqual(["ok", "yes patched\n"]);
    const b = await sandbox.run({
      language: "javascript",
      code: "console.log(JSON.stringify({ polluted: ({}).polluted ?? null, map: [1].map((x) => x + 1), parse: JSON.parse('[1]'), fetch: typeof fetch }))",
    });
    expect(b.status, b.stderr).toBe("ok");
    expect(jsonOut(b)).toEqual({ polluted: null, map: [2], parse: [1], fetch: "function" });
  });

  it("should not let a JavaScript session's prototype pollution reach a run", async () => {
    const session = await sandbox.session({ language: "javascript", code: "function probe() { return ({}).polluted ?? null }" });
    try {
      expect((await session.exec("Object.prototype.polluted = 'yes'")).status).toBe("ok");
      expect((await session.call("probe")).value).toBe("yes");
      const run = await sandbox.run({ language: "javascript", code: "console.log(({}).polluted ?? null)" });
      expect(run.stdout).toBe("null\n");
    } finally {
      await session.close();
    }
  });
});

describe("daemons", () => {
  it("should leave no Python daemon or double-forked process alive after the run, seen from the next run and the host", async () => {
    const marker = `61.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const comm = randomToken("dm").slice(0, 15);
    const a = await sandbox.run({
      language: "python",
      code: [
        "import os, signal, time",
        "if os.fork() == 0:",
        "    os.setsid()",
        "    if os.fork() == 0:",
        `        os.execv('/bin/sleep', ['sleep', ${JSON.stringify(marker)}])`,
        "    os._exit(0)",
        "if os.fork() == 0:",
        "    os.setsid()",
        "    signal.signal(signal.SIGTERM, signal.SIG_IGN)",
        "    signal.signal(signal.SIGHUP, signal.SIG_IGN)",
        "    if os.fork() == 0:",
        `        open('/proc/self/comm', 'w').write(${JSON.stringify(comm)})`,
        "        while True:",
        "            time.sleep(1)",
        "    os._exit(0)",
        "time.sleep(0.3)",
        "print(len([p for p in os.listdir('/proc') if p.isdigit()]))",
      ].join("\n"),
    });
    // At least the supervisor, the program, the sleeping grandchild and the looping one.
    expect(a.status, a.stderr).toBe("ok");
    expect(Number(a.stdout)).toBeGreaterThanOrEqual(4);
    expect(await waitFor(() => hostProcessesMarked(marker).length === 0 && hostProcessesMarked(comm).length === 0, 2_000)).toBe(true);
    const b = await sandbox.run({ language: "python", code: "import os\nprint(sorted(int(p) for p in os.listdir('/proc') if p.isdigit())[0], len([p for p in os.listdir('/proc') if p.isdigit()]))" });
    expect([b.status, b.stdout]).toEqual(["ok", "1 2\n"]);
  });

  it("should leave no detached JavaScript child alive after the run, seen from the host", async () => {
    const marker = `62.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const a = await sandbox.run({
      language: "javascript",
      code: [
        "const { spawn } = require('child_process');",
        `spawn('sleep', [${JSON.stringify(marker)}], { detached: true, stdio: 'ignore' }).unref();`,
        `spawn('/bin/sh', ['-c', '(sleep ${marker} &) ; exit 0'], { detached: true, stdio: 'ignore' }).unref();`,
        "setTimeout(() => console.log('started'), 300);",
      ].join("\n"),
    });
    expect([a.status, a.stdout]).toEqual(["ok", "started\n"]);
    expect(await waitFor(() => hostProcessesMarked(marker).length === 0, 2_000)).toBe(true);
  });
});

describe("IPC", () => {
  it("should refuse System V and POSIX message-queue IPC objects that would outlive a run", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import ctypes, errno, json",
        "libc = ctypes.CDLL(None, use_errno=True)",
        "def sc(nr, *args):",
        "    ctypes.set_errno(0)",
        "    r = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(a) for a in args])",
        "    return errno.errorcode.get(ctypes.get_errno(), 'OK') if r == -1 else 'created'",
        "IPC_PRIVATE, IPC_CREAT = 0, 0o1000",
        "name = ctypes.create_string_buffer(b'crucible')",
        "print(json.dumps({",
        "    'shmget': sc(29, IPC_PRIVATE, 4096, IPC_CREAT | 0o600),",
        "    'semget': sc(64, IPC_PRIVATE, 1, IPC_CREAT | 0o600),",
        "    'msgget': sc(68, IPC_PRIVATE, IPC_CREAT | 0o600),",
        "    'mq_open': sc(240, ctypes.addressof(name), 0o100 | 2, 0o600, 0),",
        "}))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({ shmget: "EPERM", semget: "EPERM", msgget: "EPERM", mq_open: "EPERM" });
  });
});
