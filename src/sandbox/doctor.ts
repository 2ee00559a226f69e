import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { discoverHost, type HostOptions } from "./host.ts";
import { timingChecks } from "./host-checks.ts";
import { createSandbox } from "./sandbox.ts";

const run = promisify(execFile);

export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  /** What was found. */
  readonly detail: string;
  /** What to do about it, when `ok` is false (or when a weaker fallback is in use). */
  readonly fix?: string;
  /** A failed check that only weakens a limit rather than stopping the sandbox. */
  readonly warning?: boolean;
}

export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
}

/**
 * Checks the host the way isolate's check-environment does: bubblewrap present and able to make a
 * sandbox (user namespaces, seccomp), which cgroup controllers are writable, the interpreters and
 * their versions, a real run in each language, and the settings that make timings noisy
 * (`timingChecks`). `ok` is false when a sandbox cannot run at all; warnings do not clear it.
 */
export async function runDoctor(options: HostOptions = {}, signal?: AbortSignal): Promise<DoctorReport> {
  const host = discoverHost(options);
  const checks: DoctorCheck[] = [];
  const add = (c: DoctorCheck) => checks.push(c);

  if (host.bwrapPath) {
    const version = await run(host.bwrapPath, ["--version"], signal ? { signal } : {}).then(
      (r) => r.stdout.trim(),
      (e: Error) => `did not run: ${e.message}`,
    );
    add({ name: "bubblewrap", ok: version.startsWith("bubblewrap"), detail: `${host.bwrapPath}: ${version}` });
  } else {
    add({ name: "bubblewrap", ok: false, detail: "bwrap not found on PATH", fix: "install it: apt-get install bubblewrap (Debian/Ubuntu), dnf install bubblewrap (Fedora)" });
  }
  if (host.isRoot) {
    add(
      host.setprivPath
        ? { name: "privilege drop", ok: true, detail: `running as root: sandboxes start as uid ${host.dropToUid} through ${host.setprivPath}` }
        : { name: "privilege drop", ok: false, detail: "running as root, and setpriv is missing to start sandboxes unprivileged", fix: "install util-linux (it ships setpriv)" },
    );
  }
  const userns = await readText("/proc/sys/user/max_user_namespaces");
  add({
    name: "user namespaces",
    ok: userns !== null && Number(userns) > 0,
    detail: userns === null ? "unknown (/proc/sys/user/max_user_namespaces unreadable)" : `max_user_namespaces = ${userns.trim()}`,
    fix: "enable them: sysctl -w user.max_user_namespaces=15000 (and kernel.unprivileged_userns_clone=1 on older Debian kernels)",
  });
  add(
    host.cgroups
      ? {
          name: "cgroups",
          ok: true,
          detail: `cgroup v${host.cgroups.version}: memory at ${host.cgroups.memoryParent}, pids at ${host.cgroups.pidsParent}${host.cgroups.cpuParent ? `, cpuacct at ${host.cgroups.cpuParent}` : ""}`,
        }
      : {
          name: "cgroups",
          ok: false,
          warning: true,
          detail: "no writable memory and pids controllers: memory falls back to RLIMIT_AS (Python) and the V8 heap cap (Node); process counts to RLIMIT_NPROC, which does nothing for root",
          fix: "run as root on a host with cgroup v1 memory+pids, or delegate memory and pids to this user's cgroup v2 subtree (systemd-run --user --scope -p Delegate=yes)",
        },
  );
  add(
    host.pythonPath
      ? { name: "python", ok: true, detail: host.pythonPath }
      : { name: "python", ok: false, detail: "no python3 under /usr", fix: "install it: apt-get install python3" },
  );
  add(
    host.nodeHome
      ? { name: "node", ok: true, detail: `${host.nodeHome}/bin/node${host.nodeVersion ? ` v${host.nodeVersion}` : ""}` }
      : { name: "node", ok: false, detail: "no Node runtime directory found for JavaScript guests", fix: "run Crucible with Node >= 22 from a normal install (bin/node under a prefix)" },
  );

  if (host.bwrapPath) {
    let sandbox;
    try {
      sandbox = createSandbox({ poolSize: 1, host: options });
      for (const [language, code] of [
        ["python", "import sys; print(sys.version.split()[0])"],
        ["typescript", "const v: string = process.versions.node; console.log(v)"],
      ] as const) {
        if (language === "python" && !host.pythonPath) continue;
        const v = await sandbox.run({ language, code, limits: { wallTimeMs: 15_000 }, ...(signal ? { signal } : {}) });
        add({
          name: `${language} run`,
          ok: v.status === "ok",
          detail: v.status === "ok" ? `ran in the sandbox: version ${v.stdout.trim()}, ${v.wallMs.toFixed(0)} ms` : `${v.status}: ${v.reason ?? ""} ${v.stderr.slice(-500)}`.trim(),
          fix: "run `bwrap --unshare-all --ro-bind / / true` to see bubblewrap's own error",
        });
      }
    } catch (error) {
      add({ name: "sandbox run", ok: false, detail: (error as Error).message });
    } finally {
      await sandbox?.close();
    }
  }
  checks.push(...(await timingChecks()));
  return { ok: checks.every((c) => c.ok || c.warning === true), checks };
}

async function readText(path: string): Promise<string | null> {
  const { readFile } = await import("node:fs/promises");
  return readFile(path, "utf8").catch(() => null);
}
