import { accessSync, constants, existsSync, lstatSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { detectCgroups, type CgroupSupport } from "./cgroup.ts";
import { GUEST_HARNESS_DIR, GUEST_UID, type ReadOnlyBind } from "./bwrap.ts";
import { guestReadableRuntime, isGuestRuntimeFile } from "./runtime-stage.ts";

/** The host's facts a sandbox is built from, found once per `createSandbox`. */
export interface HostFacts {
  /** Absolute path of bubblewrap, or null when it is not installed. */
  readonly bwrapPath: string | null;
  /** Python interpreter visible inside the sandbox (under /usr), or null. */
  readonly pythonPath: string | null;
  /** Directory of the Node runtime given to JS/TS guests (holds bin/node), or null. */
  readonly nodeHome: string | null;
  readonly nodeVersion: string | null;
  readonly systemBinds: readonly ReadOnlyBind[];
  readonly systemSymlinks: readonly { readonly target: string; readonly guestPath: string }[];
  /** Host directory with the code that runs inside (`src/sandbox/guest`, or its staged copy). */
  readonly guestDir: string;
  /** The runtime files of `guestDir` (harnesses, codecs) that are bound into every sandbox. */
  readonly guestFiles: readonly string[];
  readonly cgroups: CgroupSupport | null;
  readonly isRoot: boolean;
  /**
   * When Crucible runs as root, sandboxes start as this unprivileged host uid (through setpriv), so
   * guest code is never host root to owner-only checks; null when Crucible is not root.
   */
  readonly dropToUid: number | null;
  /** setpriv, needed to drop privileges as root; null when absent. */
  readonly setprivPath: string | null;
}

/** Options a caller may set explicitly; anything left out is discovered. */
export interface HostOptions {
  readonly bwrapPath?: string;
  readonly pythonPath?: string;
  /** Directory holding `bin/node` for JS/TS guests; defaults to the runtime running Crucible. */
  readonly nodeHome?: string;
  /** Use cgroups when writable (default true); false forces the rlimit fallback. */
  readonly useCgroups?: boolean;
}

export const GUEST_DIR = fileURLToPath(new URL("./guest/", import.meta.url));

function which(name: string): string | null {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

/**
 * Discovers the host. Python must live under /usr (the only system tree bound into the sandbox),
 * so a pyenv shim on PATH is not used; the Node runtime is bound read-only at /opt/node.
 */
export function discoverHost(options: HostOptions = {}): HostFacts {
  const bwrapPath = options.bwrapPath ?? which("bwrap");
  const pythonPath =
    options.pythonPath ?? ["/usr/bin/python3", "/usr/local/bin/python3"].find((p) => existsSync(p)) ?? null;
  const ownRuntime = dirname(dirname(realpathSync(process.execPath)));
  const nodeHome = options.nodeHome ?? ownRuntime;
  const nodeOk = existsSync(join(nodeHome, "bin", "node"));
  const { binds, links } = systemLayout();
  const isRoot = process.getuid?.() === 0;
  const runtime = isRoot ? guestReadableRuntime(GUEST_DIR, nodeOk ? nodeHome : null) : { guestDir: GUEST_DIR, nodeHome: nodeOk ? nodeHome : null };
  return {
    bwrapPath,
    pythonPath,
    nodeHome: runtime.nodeHome,
    nodeVersion: nodeOk && nodeHome === ownRuntime ? process.versions.node : null,
    systemBinds: binds,
    systemSymlinks: links,
    guestDir: runtime.guestDir,
    guestFiles: readdirSync(runtime.guestDir).filter(isGuestRuntimeFile).sort(),
    cgroups: options.useCgroups === false ? null : detectCgroups(),
    isRoot,
    dropToUid: isRoot ? GUEST_UID : null,
    setprivPath: ["/usr/bin/setpriv", "/bin/setpriv"].find((p) => existsSync(p)) ?? null,
  };
}

/**
 * `/usr` always; `/bin`, `/lib`, `/lib64`, `/sbin` as symlinks on merged-/usr systems (Debian 12)
 * and as read-only binds otherwise; `/etc/ld.so.cache` for the dynamic loader. Nothing else of
 * `/etc` (no passwd, no shadow, no resolv.conf) enters the sandbox.
 */
function systemLayout(): { binds: ReadOnlyBind[]; links: { target: string; guestPath: string }[] } {
  const binds: ReadOnlyBind[] = [{ hostPath: "/usr", guestPath: "/usr" }];
  const links: { target: string; guestPath: string }[] = [];
  for (const top of ["/bin", "/sbin", "/lib", "/lib64", "/lib32"]) {
    let st;
    try {
      st = lstatSync(top);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) links.push({ target: readlinkSync(top), guestPath: top });
    else if (st.isDirectory()) binds.push({ hostPath: top, guestPath: top });
  }
  if (existsSync("/etc/ld.so.cache")) binds.push({ hostPath: "/etc/ld.so.cache", guestPath: "/etc/ld.so.cache" });
  return { binds, links };
}

/** Binds of the guest runtime files, one by one, so the guest sees exactly those at /crucible. */
export function guestBinds(host: HostFacts): ReadOnlyBind[] {
  return host.guestFiles.map((name) => ({ hostPath: join(host.guestDir, name), guestPath: join(GUEST_HARNESS_DIR, name) }));
}
