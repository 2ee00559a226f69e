// SECURITY.md, "Resource exhaustion", part two: the writable area, processes and threads, file
// descriptors and output. Every limit is hit by a hostile program and ends in the verdict the
// threat model names, and is paired with a legitimate workload just under it that must pass.
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { expectStillServing, freeBytes, hostProcessesMarked, jsonOut, MiB, randomToken, sandboxedProcesses, waitFor, withRssSampling } from "./canaries.ts";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 2 });
  await sandbox.warm(["python", "javascript"]);
});
afterAll(async () => {
  await sandbox.close();
});

describe("disk", () => {
  const fillPython = [
    "i = 0",
    "chunk = b'x' * (1 << 20)",
    "while True:",
    "    with open('/tmp/fill%d' % i, 'wb') as f:",
    "        for _ in range(8):",
    "            f.write(chunk)",
    "    i += 1",
  ].join("\n");

  it("should end filling the writable area from Python with disk_limit and leave the host disk unchanged", async () => {
    const hostTmp = freeBytes(tmpdir());
    const hostRoot = freeBytes("/");
    const v = await sandbox.run({ language: "python", code: fillPython, limits: { wallTimeMs: 5_000 } });
    expect(v.status).toBe("disk_limit");
    // 64 MiB went into the sandbox's tmpfs; the host's disks did not see it.
    expect(Math.abs(freeBytes(tmpdir()) - hostTmp)).toBeLessThan(32 * MiB);
    expect(Math.abs(freeBytes("/") - hostRoot)).toBeLessThan(32 * MiB);
    await expectStillServing(sandbox);
  });

  it("should end filling the writable area from JavaScript with disk_limit", async () => {
    const hostRoot = freeBytes("/");
    const v = await sandbox.run({
      language: "javascript",
      code: [
        "const fs = require('fs'); const c = Buffer.alloc(1 << 20, 120);",
        "for (let i = 0; ; i++) { const fd = fs.openSync(`/tmp/f${i}`, 'w'); for (let j = 0; j < 8; j++) fs.writeSync(fd, c); fs.closeSync(fd); }",
      ].join("\n"),
      limits: { wallTimeMs: 5_000 },
    });
    expect(v.status).toBe("disk_limit");
    expect(Math.abs(freeBytes("/") - hostRoot)).toBeLessThan(32 * MiB);
  });

  it("should let a Python program write files under every disk limit", async () => {
    // 3 × 8 MiB plus one 15 MiB file: under the 64 MiB area and the 16 MiB file limit.
    const v = await sandbox.run({
      language: "python",
      code: [
        "import os",
        "for i in range(3):",
        "    open('/tmp/f%d' % i, 'wb').write(b'x' * (8 << 20))",
        "open('/tmp/big', 'wb').write(b'y' * (15 << 20))",
        "print(sorted(os.path.getsize('/tmp/' + n) for n in os.listdir('/tmp')))",
      ].join("\n"),
    });
    expect(v.status).toBe("ok");
    expect(v.stdout).toBe(`[${8 * MiB}, ${8 * MiB}, ${8 * MiB}, ${15 * MiB}]\n`);
  });

  it("should end a Python file past maxFileBytes with disk_limit and accept one just under", async () => {
    const limits = { maxFileBytes: 4 * MiB };
    const over = await sandbox.run({ language: "python", code: "open('/tmp/f', 'wb').write(b'x' * (5 << 20))", limits });
    const under = await sandbox.run({ language: "python", code: "print(open('/tmp/f', 'wb').write(b'x' * ((4 << 20) - 1)))", limits });
    expect(over.status).toBe("disk_limit");
    expect([under.status, under.stdout]).toEqual(["ok", `${4 * MiB - 1}\n`]);
  });

  it("should end a JavaScript file past maxFileBytes with disk_limit and accept one just under", async () => {
    const limits = { maxFileBytes: 4 * MiB };
    const over = await sandbox.run({ language: "javascript", code: "require('fs').writeFileSync('/tmp/f', Buffer.alloc(5 << 20, 1))", limits });
    const under = await sandbox.run({
      language: "javascript",
      code: "require('fs').writeFileSync('/tmp/f', Buffer.alloc((4 << 20) - 1, 1)); console.log(require('fs').statSync('/tmp/f').size)",
      limits,
    });
    expect(over.status).toBe("disk_limit");
    expect([under.status, under.stdout]).toEqual(["ok", `${4 * MiB - 1}\n`]);
  });

  // Empty files cost no tmpfs blocks, only inodes (about 1 KiB of kernel memory each, charged to the
  // sandbox's memory cgroup). 128 MiB of memory holds ~130,000 of them; a writable area of 16 MiB
  // must run out of inodes long before that, as a size-capped tmpfs with an inode cap would.
  it("should end inode exhaustion in the writable area from Python with disk_limit", async () => {
    const hostRoot = freeBytes("/");
    const v = await sandbox.run({
      language: "python",
      code: "import os\nos.mkdir('/tmp/d')\ni = 0\nwhile True:\n    open('/tmp/d/%d' % i, 'w').close()\n    i += 1\n",
      limits: { wallTimeMs: 8_000, memoryBytes: 128 * MiB, diskBytes: 16 * MiB },
    });
    expect(v.status).toBe("disk_limit");
    expect(Math.abs(freeBytes("/") - hostRoot)).toBeLessThan(32 * MiB);
    await expectStillServing(sandbox);
  });

  it("should end inode exhaustion from JavaScript with disk_limit", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "const fs = require('fs'); fs.mkdirSync('/tmp/d'); for (let i = 0; ; i++) fs.closeSync(fs.openSync(`/tmp/d/${i}`, 'w'));",
      limits: { wallTimeMs: 8_000, memoryBytes: 128 * MiB, diskBytes: 16 * MiB },
    });
    expect(v.status).toBe("disk_limit");
  });
});

describe("processes and threads", () => {
  const maxProcesses = 16;

  it("should cap a Python fork bomb and leave no process behind (the host runs as root)", async () => {
    const marker = randomToken("fb").slice(0, 15);
    const v = await sandbox.run({
      language: "python",
      code: [
        "import os, time, json",
        "def mark():",
        `    open('/proc/self/comm', 'w').write(${JSON.stringify(marker)})`,
        "refused = 0",
        "seen = 0",
        "deadline = time.monotonic() + 1.0",
        "while time.monotonic() < deadline:",
        "    try:",
        "        if os.fork() == 0:",
        "            mark()",
        "            while True:",
        "                try:",
        "                    os.fork()",
        "                    mark()",
        "                except OSError:",
        "                    time.sleep(0.01)",
        "    except OSError:",
        "        refused += 1",
        "    seen = max(seen, len([p for p in os.listdir('/proc') if p.isdigit()]))",
        "print(json.dumps({'refused': refused, 'seen': seen}))",
      ].join("\n"),
      limits: { maxProcesses, wallTimeMs: 3_000 },
    });
    expect(v.status).toBe("ok");
    const out = jsonOut<{ refused: number; seen: number }>(v);
    expect(out.refused).toBeGreaterThan(0);
    // The supervisor, the program and its descendants: never more than the cap allows.
    expect(out.seen).toBeLessThanOrEqual(maxProcesses + 2);
    expect(await waitFor(() => hostProcessesMarked(marker).length === 0, 2_000)).toBe(true);
    // Only the warm supervisors are left in this file's sandboxes.
    expect(sandboxedProcesses().every((p) => p.cmdline.includes("harness"))).toBe(true);
  });

  it("should cap a Python thread bomb", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import threading, time",
        "ts = []",
        "try:",
        "    while True:",
        "        t = threading.Thread(target=time.sleep, args=(30,), daemon=True)",
        "        t.start()",
        "        ts.append(t)",
        "except RuntimeError as e:",
        "    print(len(ts), e)",
      ].join("\n"),
      limits: { maxProcesses, wallTimeMs: 3_000 },
    });
    expect(v.status).toBe("ok");
    const [count, ...message] = v.stdout.trim().split(" ");
    expect(Number(count)).toBeLessThanOrEqual(maxProcesses);
    expect(message.join(" ")).toBe("can't start new thread");
  });

  it("should cap a JavaScript process bomb and leave no process behind", async () => {
    const marker = `30.${Date.now()}${Math.floor(Math.random() * 1e6)}`;
    const v = await sandbox.run({
      language: "javascript",
      code: [
        "const { spawn } = require('child_process');",
        "let spawned = 0, refused = 0;",
        `for (let i = 0; i < 200; i++) { const c = spawn('sleep', [${JSON.stringify(marker)}]); c.on('error', () => refused++); c.on('spawn', () => spawned++); }`,
        "setTimeout(() => { console.log(JSON.stringify({ spawned, refused })); process.exit(0); }, 1000);",
      ].join("\n"),
      limits: { maxProcesses, wallTimeMs: 4_000 },
    });
    expect(v.status).toBe("ok");
    const out = jsonOut<{ spawned: number; refused: number }>(v);
    expect(out.spawned).toBeLessThanOrEqual(maxProcesses);
    expect(out.refused).toBeGreaterThan(0);
    expect(await waitFor(() => hostProcessesMarked(marker).length === 0, 2_000)).toBe(true);
  });

  it("should cap a JavaScript worker-thread bomb", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: [
        "const { Worker } = require('worker_threads');",
        "let online = 0, failed = null;",
        "for (let i = 0; i < 64; i++) {",
        "  try { const w = new Worker('setInterval(() => {}, 1000)', { eval: true }); w.on('online', () => online++); w.on('error', (e) => (failed ??= e.code)); }",
        "  catch (e) { failed = e.code; break; }",
        "}",
        "setTimeout(() => { console.log(JSON.stringify({ online, failed })); process.exit(0); }, 1000);",
      ].join("\n"),
      limits: { maxProcesses, wallTimeMs: 4_000 },
    });
    expect(v.status).toBe("ok");
    const out = jsonOut<{ online: number; failed: string | null }>(v);
    expect(out.online).toBeLessThan(maxProcesses);
    expect(out.failed).toBe("ERR_WORKER_INIT_FAILED");
  });

  it("should let programs start a few processes under maxProcesses", async () => {
    const [py, js] = await Promise.all([
      sandbox.run({
        language: "python",
        code: "import subprocess\nps = [subprocess.Popen(['sleep', '0.2']) for _ in range(4)]\nprint([p.wait() for p in ps])",
        limits: { maxProcesses },
      }),
      sandbox.run({
        language: "javascript",
        code: "const { execFileSync } = require('child_process'); for (let i = 0; i < 4; i++) execFileSync('true'); console.log('4 ran')",
        limits: { maxProcesses },
      }),
    ]);
    expect([py.status, py.stdout]).toEqual(["ok", "[0, 0, 0, 0]\n"]);
    expect([js.status, js.stdout]).toEqual(["ok", "4 ran\n"]);
  });
});

describe("file descriptors", () => {
  it("should answer descriptor exhaustion with EMFILE in Python and allow half the limit", async () => {
    const code = (n: string) =>
      `import os, errno\nfds = []\ntry:\n    while len(fds) < ${n}:\n        fds.append(os.open('/dev/null', os.O_RDONLY))\n    print(len(fds))\nexcept OSError as e:\n    print(errno.errorcode[e.errno])`;
    const limits = { maxOpenFiles: 64 };
    const [exhaust, half] = await Promise.all([
      sandbox.run({ language: "python", code: code("10**9"), limits }),
      sandbox.run({ language: "python", code: code("32"), limits }),
    ]);
    expect([exhaust.status, exhaust.stdout]).toEqual(["ok", "EMFILE\n"]);
    expect([half.status, half.stdout]).toEqual(["ok", "32\n"]);
  });

  it("should answer descriptor exhaustion with EMFILE in JavaScript and allow a few", async () => {
    const code = (n: number) =>
      `const fs = require('fs'); const fds = []; try { while (fds.length < ${n}) fds.push(fs.openSync('/dev/null', 'r')); console.log(fds.length); } catch (e) { console.log(e.code); }`;
    const limits = { maxOpenFiles: 64 };
    const [exhaust, few] = await Promise.all([
      sandbox.run({ language: "javascript", code: code(1e9), limits }),
      sandbox.run({ language: "javascript", code: code(16), limits }),
    ]);
    expect([exhaust.status, exhaust.stdout]).toEqual(["ok", "EMFILE\n"]);
    expect([few.status, few.stdout]).toEqual(["ok", "16\n"]);
  });
});

describe("output", () => {
  const floodPython = (stream: string) => `import sys\nc = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.${stream}.write(c)\n`;

  it("should end 1 GB of Python stdout without newlines with output_limit and bounded host memory", async () => {
    const { result: v, rssGrowthBytes } = await withRssSampling(() => sandbox.run({ language: "python", code: floodPython("stdout") }));
    expect(v.status).toBe("output_limit");
    expect(v.stdoutTruncated).toBe(true);
    expect(v.stdout.length).toBe(MiB);
    expect(rssGrowthBytes).toBeLessThan(64 * MiB);
  });

  it("should end 1 GB of Python stderr with output_limit", async () => {
    const v = await sandbox.run({ language: "python", code: floodPython("stderr") });
    expect(v.status).toBe("output_limit");
    expect(v.stderrTruncated).toBe(true);
    expect(v.stderr.length).toBe(MiB);
  });

  it("should end 1 GB of JavaScript stdout written synchronously with output_limit and bounded host memory", async () => {
    const { result: v, rssGrowthBytes } = await withRssSampling(() =>
      sandbox.run({ language: "javascript", code: "const fs = require('fs'); const c = 'x'.repeat(1 << 20); for (let i = 0; i < 1024; i++) fs.writeSync(1, c);" }),
    );
    expect(v.status).toBe("output_limit");
    expect(v.stdoutTruncated).toBe(true);
    expect(v.stdout.length).toBe(MiB);
    expect(rssGrowthBytes).toBeLessThan(64 * MiB);
  });

  // The common way to print in Node. Its writes are asynchronous on the sandbox's stdout socket:
  // the guest queues the gigabyte and its own writev fails (ENOBUFS) before the host sees the cap.
  it("should end 1 GB of JavaScript stdout written with process.stdout.write with output_limit", async () => {
    const { result: v, rssGrowthBytes } = await withRssSampling(() =>
      sandbox.run({ language: "javascript", code: "const c = 'x'.repeat(1 << 16); for (let i = 0; i < 16384; i++) process.stdout.write(c);" }),
    );
    expect(rssGrowthBytes).toBeLessThan(64 * MiB);
    expect(v.status).toBe("output_limit");
    expect(v.stdoutTruncated).toBe(true);
  });

  it("should end a JavaScript console.error flood with output_limit", async () => {
    const v = await sandbox.run({ language: "javascript", code: "const c = 'x'.repeat(1 << 20); for (let i = 0; i < 1024; i++) console.error(c);" });
    expect(v.status).toBe("output_limit");
    expect(v.stderrTruncated).toBe(true);
  });

  it("should return output just under maxOutputBytes whole and untruncated", async () => {
    const maxOutputBytes = 64 * 1024;
    const n = maxOutputBytes - 1;
    const [py, js] = await Promise.all([
      sandbox.run({ language: "python", code: `import sys\nsys.stdout.write('z' * ${n})`, limits: { maxOutputBytes } }),
      sandbox.run({ language: "javascript", code: `process.stdout.write('z'.repeat(${n}))`, limits: { maxOutputBytes } }),
    ]);
    for (const v of [py, js]) {
      expect(v.status).toBe("ok");
      expect(v.stdoutTruncated).toBe(false);
      expect(v.stdout).toBe("z".repeat(n));
    }
  });
});
