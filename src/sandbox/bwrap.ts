import type { Limits } from "./policy.ts";

/** Where the guest sees the harness, the runtime and its writable area. */
export const GUEST_HARNESS_DIR = "/crucible";
export const GUEST_NODE_DIR = "/opt/node";
export const GUEST_WORKDIR = "/tmp";
/** The uid and gid guest code runs as inside its user namespace (nobody). */
export const GUEST_UID = 65534;

/** A read-only bind from the host into the sandbox. */
export interface ReadOnlyBind {
  readonly hostPath: string;
  readonly guestPath: string;
}

/** What `bwrapArgv` needs to know about the host and the run; every field is explicit. */
export interface BwrapSpec {
  /** Directories of the host's root that must appear in the guest: `/usr` always. */
  readonly systemBinds: readonly ReadOnlyBind[];
  /** Merged-/usr symlinks such as `/bin -> usr/bin`. */
  readonly systemSymlinks: readonly { readonly target: string; readonly guestPath: string }[];
  readonly extraBinds: readonly ReadOnlyBind[];
  /** The full allowlist of environment variables the guest gets; nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly limits: Pick<Limits, "diskBytes">;
  /** Descriptor number (in bwrap's own table) of the seccomp filter, or null for none. */
  readonly seccompFd: number | null;
  /** The program run as PID 1 inside the sandbox, with its arguments. */
  readonly command: readonly string[];
}

/**
 * The exact bubblewrap argv for one sandbox: fresh user, pid, net, ipc, uts and cgroup namespaces;
 * no further user namespaces; a new session (no controlling terminal, so no TIOCSTI); killed when
 * its parent dies; every capability dropped; an empty environment plus the allowlist; a read-only
 * root holding only the binds given; private size-capped tmpfs at /tmp and /dev/shm as the only
 * writable places; no network but the namespace's own loopback.
 */
export function bwrapArgv(spec: BwrapSpec): string[] {
  const argv = [
    "--unshare-user",
    "--unshare-pid",
    "--unshare-net",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup",
    "--uid",
    String(GUEST_UID),
    "--gid",
    String(GUEST_UID),
    "--hostname",
    "crucible",
    "--disable-userns",
    "--die-with-parent",
    "--new-session",
    "--as-pid-1",
    "--cap-drop",
    "ALL",
    "--clearenv",
  ];
  for (const [name, value] of Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    argv.push("--setenv", name, value);
  }
  for (const bind of [...spec.systemBinds, ...spec.extraBinds]) {
    argv.push("--ro-bind", bind.hostPath, bind.guestPath);
  }
  for (const link of spec.systemSymlinks) argv.push("--symlink", link.target, link.guestPath);
  argv.push(
    "--proc",
    "/proc",
    // bwrap covers /proc/sys only when it looks writable to it, which it does not when the guest
    // is mapped onto host root: cover it always, or a guest can set host-wide sysctls.
    "--ro-bind",
    "/proc/sys",
    "/proc/sys",
    "--dev",
    "/dev",
    "--size",
    String(spec.limits.diskBytes),
    "--tmpfs",
    GUEST_WORKDIR,
    "--size",
    String(spec.limits.diskBytes),
    "--tmpfs",
    "/dev/shm",
    "--remount-ro",
    "/",
    "--chdir",
    GUEST_WORKDIR,
  );
  if (spec.seccompFd !== null) argv.push("--seccomp", String(spec.seccompFd));
  argv.push("--", ...spec.command);
  return argv;
}

/** The environment every guest gets; callers may add names that pass `validateGuestEnv`. */
export function baseGuestEnv(extraPath: readonly string[] = []): Record<string, string> {
  return {
    PATH: [...extraPath, "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
    HOME: GUEST_WORKDIR,
    TMPDIR: GUEST_WORKDIR,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    PYTHONDONTWRITEBYTECODE: "1",
    PYTHONIOENCODING: "utf-8",
    PYTHONHASHSEED: "0",
  };
}
