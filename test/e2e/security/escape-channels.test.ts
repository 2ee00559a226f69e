// SECURITY.md, "Escape", part two: the ways out that are channels. Host sockets (Docker, D-Bus, the
// SSH agent, a host unix and abstract socket), network egress (internet, metadata service, the
// host's loopback listener) and descriptors leaked from the host. Host canaries count every
// connection and hold the secret a leaked descriptor would reveal.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, type Sandbox } from "../../../src/sandbox/index.ts";
import { hostProcessesMarked, jsonOut, plantHostCanaries, PROJECT_DIR, randomToken, sandboxedHoldersOf, waitFor, type HostCanaries } from "./canaries.ts";

let canaries: HostCanaries;
let sandbox: Sandbox;
beforeAll(async () => {
  canaries = await plantHostCanaries();
  sandbox = createSandbox({ poolSize: 2 });
  await sandbox.warm(["python", "javascript"]);
});
afterAll(async () => {
  await sandbox.close();
  await canaries.remove();
});

describe("host sockets and network", () => {
  it("should give the guest no host socket: Docker, D-Bus, the SSH agent, a host unix or abstract socket", async () => {
    const paths = ["/var/run/docker.sock", "/run/docker.sock", "/run/dbus/system_bus_socket", "/var/run/dbus/system_bus_socket", canaries.unixPath];
    const v = await sandbox.run({
      language: "python",
      code: [
        "import errno, json, os, socket",
        "out = {'SSH_AUTH_SOCK': os.environ.get('SSH_AUTH_SOCK')}",
        `for p in ${JSON.stringify(paths)} + [chr(0) + ${JSON.stringify(canaries.abstractName)}]:`,
        "    s = socket.socket(socket.AF_UNIX)",
        "    try:",
        "        s.connect(p)",
        "        out[p.replace(chr(0), '@')] = 'connected'",
        "    except OSError as e:",
        "        out[p.replace(chr(0), '@')] = errno.errorcode[e.errno]",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({
      SSH_AUTH_SOCK: null,
      ...Object.fromEntries(paths.map((p) => [p, "ENOENT"])),
      [`@${canaries.abstractName}`]: "ECONNREFUSED",
    });
    expect(canaries.unix.connections()).toBe(0);
    expect(canaries.abstract.connections()).toBe(0);
  });

  it("should refuse Python network egress to the internet, the metadata service and the host's loopback", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import errno, json, socket",
        "out = {}",
        `for host, port in (('1.1.1.1', 53), ('169.254.169.254', 80), ('127.0.0.1', ${canaries.tcpPort}), ('::1', ${canaries.tcpPort})):`,
        "    s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)",
        "    s.settimeout(2)",
        "    try:",
        "        s.connect((host, port))",
        "        out[host] = 'connected'",
        "    except OSError as e:",
        "        out[host] = errno.errorcode.get(e.errno, str(e))",
        "u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "try:",
        "    u.sendto(b'x', ('1.1.1.1', 53))",
        "    out['udp'] = 'sent'",
        "except OSError as e:",
        "    out['udp'] = errno.errorcode[e.errno]",
        "try:",
        "    socket.getaddrinfo('example.com', 80)",
        "    out['dns'] = 'resolved'",
        "except socket.gaierror:",
        "    out['dns'] = 'failed'",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({
      "1.1.1.1": "ENETUNREACH",
      "169.254.169.254": "ENETUNREACH",
      // The sandbox's own loopback: nothing listens there, and the host's listener is not there.
      "127.0.0.1": "ECONNREFUSED",
      "::1": "ECONNREFUSED",
      udp: "ENETUNREACH",
      dns: "failed",
    });
    expect(canaries.tcp.connections()).toBe(0);
  });

  it("should refuse JavaScript network egress to the internet, the metadata service and the host's loopback", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: [
        "const net = require('net');",
        `const targets = [['1.1.1.1', 53], ['169.254.169.254', 80], ['127.0.0.1', ${canaries.tcpPort}]];`,
        "const tcp = await Promise.all(targets.map(([host, port]) => new Promise((resolve) => {",
        "  const s = net.connect({ host, port, timeout: 2000 });",
        "  s.on('connect', () => { s.destroy(); resolve([host, 'connected']); });",
        "  s.on('error', (e) => resolve([host, e.code]));",
        "  s.on('timeout', () => { s.destroy(); resolve([host, 'timeout']); });",
        "})));",
        "let http; try { await fetch('http://169.254.169.254/latest/meta-data/'); http = 'fetched'; } catch (e) { http = e.cause?.code ?? String(e); }",
        "console.log(JSON.stringify({ ...Object.fromEntries(tcp), fetch: http }));",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    expect(jsonOut(v)).toEqual({ "1.1.1.1": "ENETUNREACH", "169.254.169.254": "ENETUNREACH", "127.0.0.1": "ECONNREFUSED", fetch: "ENETUNREACH" });
    expect(canaries.tcp.connections()).toBe(0);
  });
});

describe("leaked file descriptors", () => {
  it("should leave a Python program only its standard streams and its result pipe", async () => {
    const v = await sandbox.run({
      language: "python",
      code: [
        "import json, os",
        "out = {}",
        "for fd in os.listdir('/proc/self/fd'):",
        "    try:",
        "        out[fd] = os.readlink('/proc/self/fd/' + fd)",
        "    except OSError:",
        "        pass",
        "print(json.dumps(out))",
      ].join("\n"),
    });
    expect(v.status, v.stderr).toBe("ok");
    const fds = jsonOut<Record<string, string>>(v);
    expect(fds["0"]).toBe("/dev/null");
    expect(fds["1"]).toMatch(/^pipe:/);
    expect(fds["2"]).toMatch(/^pipe:/);
    const others = Object.entries(fds).filter(([fd]) => Number(fd) > 2);
    // Exactly one more: the pipe the supervisor reads the program's exception from.
    expect(others).toHaveLength(1);
    expect(others[0]![1]).toMatch(/^pipe:/);
  });

  it("should leave a JavaScript program no descriptor to a file or socket beyond its own channels", async () => {
    const v = await sandbox.run({
      language: "javascript",
      code: "const fs = require('fs'); const out = {}; for (const fd of fs.readdirSync('/proc/self/fd')) { try { out[fd] = fs.readlinkSync('/proc/self/fd/' + fd); } catch {} } console.log(JSON.stringify(out));",
    });
    expect(v.status, v.stderr).toBe("ok");
    const fds = jsonOut<Record<string, string>>(v);
    for (const [fd, target] of Object.entries(fds)) {
      // Standard streams and the harness's request/reply channel are sockets to the host; Node's
      // own event loop holds pipes, eventfds and epoll; /dev/null is the standard input.
      if (Number(fd) <= 4) expect(target, `fd ${fd}`).toMatch(/^(socket:|pipe:|\/dev\/null$)/);
      else expect(target, `fd ${fd}`).toMatch(/^(pipe:|anon_inode:|\/dev\/null$)/);
    }
  });

  // A server is often started by something that leaks descriptors (a shell, a supervisor, a CI
  // runner). Here the host process inherits descriptor 77 open on the host canary file without
  // close-on-exec, as from `exec 77<file` in a shell; no guest may read through it.
  for (const language of ["python", "javascript"] as const) {
    it(`should not pass a descriptor the host inherited into a ${language} guest`, async () => {
      // The guest names itself once it runs, so the host looks while guest code is running.
      const running = randomToken("fd").slice(0, 15);
      const file = join(canaries.tmpDir, language === "python" ? "leak.py" : "leak.js");
      writeFileSync(
        file,
        language === "python"
          ? `import os, time\nfor fd in range(3, 1024):\n    try:\n        print(os.pread(fd, 200, 0))\n    except OSError:\n        pass\nopen('/proc/self/comm', 'w').write('${running}')\ntime.sleep(1.5)\n`
          : `const fs = require('fs');\nfor (let fd = 3; fd < 1024; fd++) { try { const b = Buffer.alloc(200); const n = fs.readSync(fd, b, 0, 200, 0); console.log(b.subarray(0, n).toString()); } catch {} }\nfs.writeFileSync('/proc/self/comm', '${running}');\nconst t = Date.now(); while (Date.now() - t < 1500);\n`,
      );
      const cli = spawn(
        "/bin/bash",
        ["-c", 'exec 77<"$1"; exec "$2" --disable-warning=ExperimentalWarning "$3" run "$4"', "bash", canaries.tmpFile, process.execPath, join(PROJECT_DIR, "src/cli/main.ts"), file],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      const chunks: Buffer[] = [];
      cli.stdout.on("data", (c: Buffer) => chunks.push(c));
      cli.stderr.resume();
      const exited = new Promise<number | null>((resolve) => cli.once("close", (code) => resolve(code)));
      expect(await waitFor(() => hostProcessesMarked(running).length > 0, 10_000)).toBe(true);
      // From outside: no sandboxed process holds the canary file open.
      const holders = sandboxedHoldersOf(canaries.tmpFile, cli.pid);
      const code = await exited;
      expect(code).toBe(0);
      // The guest read nothing of it, and no process in the sandbox holds it (supervisor included).
      expect(Buffer.concat(chunks).toString("utf8")).not.toContain(canaries.secret);
      expect(holders).toEqual([]);
    });
  }
});
