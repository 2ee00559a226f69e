// SECURITY.md, "Exfiltration": the guest sees only its allowlisted environment, its own processes
// and its own files. Host canaries (a variable in the host's environment, files in a host temp dir
// and in the project directory, a process with a unique marker) must never show up.
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { isCrucibleError } from "../../../src/errors.ts";
import { jsonOut, plantHostCanaries, PROJECT_DIR, randomToken, type HostCanaries } from "./canaries.ts";

let canaries: HostCanaries;
let sandbox: Sandbox;
let hostMarker: string;
let hostMarkerProcess: ChildProcess;

beforeAll(async () => {
  canaries = await plantHostCanaries();
  hostMarker = randomToken("crucible-host-process");
  hostMarkerProcess = spawn(process.execPath, ["-e", "setTimeout(() => {}, 600000)", hostMarker], { stdio: "ignore" });
  sandbox = createSandbox({ poolSize: 2, env: { CRUCIBLE_VISIBLE: "visible" } });
  await sandbox.warm(["python", "javascript"]);
});
afterAll(async () => {
  await sandbox.close();
  hostMarkerProcess.kill("SIGKILL");
  await canaries.remove();
});

/** The fixed allowlist every guest gets (bwrap adds PWD for its working directory) plus the caller's. */
const GUEST_ENV_KEYS = [
  "CRUCIBLE_VISIBLE",
  "HOME",
  "LANG",
  "LC_ALL",
  "PATH",
  "PWD",
  "PYTHONDONTWRITEBYTECODE",
  "PYTHONHASHSEED",
  "PYTHONIOENCODING",
  "TMPDIR",
];

describe("environment", () => {
  it("should give a Python guest exactly the allowlisted environment and no host variable", async () => {
    const v = await sandbox.run({
      language: "python",
      code: "import json, os\nprint(json.dumps({'env': dict(os.environ), 'raw': open('/proc/self/environ', 'rb').read().decode()}))",
    });
    expect(v.status, v.stderr).toBe("ok");
    const out = jsonOut<{ env: Record<string, string>; raw: string }>(v);
    expect(Object.keys(out.env).sort()).toEqual(GUEST_ENV_KEYS);
    expect(out.env["CRUCIBLE_VISIBLE"]).toBe("visible");
    expect(out.env["HOME"]).toBe("/tmp");
    expect(out.env["PATH"]).toBe("/usr/local/bin:/usr/bin:/bin");
    expect(out.raw).not.toContain(canaries.envName);
    expect(JSON.stringify(v)).not.toContain(canaries.envValue);
  });

  it("should give a JavaScript guest exactly the allowlisted environment and no host variable", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "const fs = require('fs'); console.log(JSON.stringify({ env: process.env, raw: fs.readFileSync('/proc/self/environ', 'utf8'), pid1: fs.readFileSync('/proc/1/environ', 'utf8') }))",
    });
    expect(v.status, v.stderr).toBe("ok");
    const out = jsonOut<{ env: Record<string, string>; raw: string; pid1: string }>(v);
    expect(Object.keys(out.env).sort()).toEqual(GUEST_ENV_KEYS);
    expect(out.env["PATH"]).toBe("/opt/node/bin:/usr/local/bin:/usr/bin:/bin");
    expect(out.raw + out.pid1).not.toContain(canaries.envName);
    expect(JSON.stringify(v)).not.toContain(canaries.envValue);
  });

  it("should not echo a rejected environment value in its error", () => {
    const secret = randomToken("crucible-env-secret");
    for (const env of [{ LD_PRELOAD: secret }, { NODE_OPTIONS: `--require ${secret}` }, { FINE_NAME: `${secret}\0` }]) {
      let caught: unknown;
      try {
        createSandbox({ env });
      } catch (error) {
        caught = error;
      }
      expect(isCrucibleError(caught, "invalid_argument")).toBe(true);
      const error = caught as Error & { details: unknown };
      expect(`${error.message} ${JSON.stringify(error.details)} ${error.stack ?? ""}`).not.toContain(secret);
    }
  });
});

describe("processes", () => {
  it("should show a Python run only the supervisor and itself in /proc", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import json, os",
        "procs = {p: open('/proc/%s/cmdline' % p, 'rb').read().decode('utf-8', 'replace') for p in os.listdir('/proc') if p.isdigit()}",
        "nspid = [l.split()[1:] for l in open('/proc/self/status') if l.startswith('NSpid')][0]",
        "print(json.dumps({'procs': procs, 'self': os.getpid(), 'nspid': nspid}))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    const out = jsonOut<{ procs: Record<string, string>; self: number; nspid: string[] }>(v);
    expect(Object.keys(out.procs).sort()).toEqual(["1", String(out.self)].sort());
    for (const cmdline of Object.values(out.procs)) expect(cmdline).toBe("/usr/bin/python3\0-I\0-B\0/crucible/harness.py\0");
    // Its pid is the namespace's own; the host pid is not visible.
    expect(out.nspid).toEqual([String(out.self)]);
    expect(JSON.stringify(out)).not.toContain(hostMarker);
  });

  it("should show a JavaScript run only itself in /proc", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "const fs = require('fs'); console.log(JSON.stringify(Object.fromEntries(fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).map((p) => [p, fs.readFileSync(`/proc/${p}/cmdline`, 'utf8')]))))",
    });
    expect(v.status, v.stderr).toBe("ok");
    const procs = jsonOut<Record<string, string>>(v);
    expect(Object.keys(procs)).toEqual(["1"]);
    expect(procs["1"]).toContain("/crucible/harness.cjs");
    expect(JSON.stringify(procs)).not.toContain(hostMarker);
  });
});

describe("host files", () => {
  const hostPaths = () => [
    canaries.tmpFile,
    canaries.tmpDir,
    canaries.projectFile,
    PROJECT_DIR,
    join(PROJECT_DIR, "package.json"),
    "/root",
    "/root/.ssh",
    "/tmp/.ssh",
    "/home",
    "/etc/shadow",
    "/etc/passwd",
    "/etc/hostname",
    "/work",
  ];

  it("should show a Python guest none of the host's files, only its own small root", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import errno, json, os",
        "out = {}",
        `for p in ${JSON.stringify(hostPaths())}:`,
        "    try:",
        "        os.stat(p)",
        "        out[p] = 'visible'",
        "    except OSError as e:",
        "        out[p] = errno.errorcode[e.errno]",
        "print(json.dumps({'paths': out, 'root': sorted(os.listdir('/')), 'etc': os.listdir('/etc'), 'crucible': sorted(os.listdir('/crucible')), 'tmp': os.listdir('/tmp')}))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    const out = jsonOut<{ paths: Record<string, string>; root: string[]; etc: string[]; crucible: string[]; tmp: string[] }>(v);
    expect(out.paths).toEqual(Object.fromEntries(hostPaths().map((p) => [p, "ENOENT"])));
    expect(out.root).toEqual(["bin", "crucible", "dev", "etc", "lib", "lib64", "proc", "sbin", "tmp", "usr"]);
    expect(out.etc).toEqual(["ld.so.cache"]);
    // The harness and codec files are the only part of the project the guest sees.
    expect(out.crucible).toEqual(["codec.mjs", "codec.py", "harness.cjs", "harness.py"]);
    expect(out.tmp).toEqual([]);
    expect(JSON.stringify(v)).not.toContain(canaries.secret);
  });

  it("should show a JavaScript guest none of the host's files", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: `const fs = require('fs'); const out = {}; for (const p of ${JSON.stringify(hostPaths())}) { try { fs.statSync(p); out[p] = 'visible'; } catch (e) { out[p] = e.code; } } console.log(JSON.stringify({ paths: out, root: fs.readdirSync('/').sort() }));`,
    });
    expect(v.status, v.stderr).toBe("ok");
    const out = jsonOut<{ paths: Record<string, string>; root: string[] }>(v);
    expect(out.paths).toEqual(Object.fromEntries(hostPaths().map((p) => [p, "ENOENT"])));
    expect(out.root).toEqual(["bin", "crucible", "dev", "etc", "lib", "lib64", "opt", "proc", "sbin", "tmp", "usr"]);
  });
});

describe("symlinks", () => {
  it("should make symlinks a Python guest plants toward host paths lead nowhere", async () => {
    const before = readdirSync(canaries.tmpDir).sort();
    const targets = { canary: canaries.tmpFile, project: canaries.projectFile, shadow: "/etc/shadow", dir: canaries.tmpDir, viaPid1: `/proc/1/root${canaries.tmpFile}` };
    const v = await sandbox.run({
      language: "python",
      code: [
        "import errno, json, os",
        "out = {}",
        `for name, target in ${JSON.stringify(targets)}.items():`,
        "    link = '/tmp/' + name",
        "    os.symlink(target, link)",
        "    try:",
        "        out[name] = open(link).read()",
        "    except OSError as e:",
        "        out[name] = errno.errorcode[e.errno]",
        "try:",
        `    os.link(${JSON.stringify(canaries.tmpFile)}, '/tmp/hard')`,
        "    out['hardlink'] = 'linked'",
        "except OSError as e:",
        "    out['hardlink'] = errno.errorcode[e.errno]",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({ canary: "ENOENT", project: "ENOENT", shadow: "ENOENT", dir: "ENOENT", viaPid1: "EACCES", hardlink: "ENOENT" });
    // Nothing on the host changed, and nothing of the guest's /tmp reached the host.
    expect(readdirSync(canaries.tmpDir).sort()).toEqual(before);
    expect(readFileSync(canaries.tmpFile, "utf8")).toBe(canaries.secret);
  });

  it("should make symlinks a JavaScript guest plants toward host paths lead nowhere", async () => {
    const targets = { canary: canaries.tmpFile, project: canaries.projectFile, shadow: "/etc/shadow" };
    const v = await sandbox.run({
      language: "javascript",
      code: `const fs = require('fs'); const out = {}; for (const [name, target] of Object.entries(${JSON.stringify(targets)})) { fs.symlinkSync(target, '/tmp/' + name); try { out[name] = fs.readFileSync('/tmp/' + name, 'utf8'); } catch (e) { out[name] = e.code; } } console.log(JSON.stringify(out));`,
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({ canary: "ENOENT", project: "ENOENT", shadow: "ENOENT" });
  });
});
