import { describe, expect, it } from "vitest";
import { baseGuestEnv, bwrapArgv, GUEST_UID, GUEST_WORKDIR, type BwrapSpec } from "./bwrap.ts";
import { validateGuestEnv } from "./policy.ts";

const MiB = 1024 * 1024;

function spec(overrides: Partial<BwrapSpec> = {}): BwrapSpec {
  return {
    systemBinds: [
      { hostPath: "/usr", guestPath: "/usr" },
      { hostPath: "/etc/alternatives", guestPath: "/etc/alternatives" },
    ],
    systemSymlinks: [
      { target: "usr/bin", guestPath: "/bin" },
      { target: "usr/lib", guestPath: "/lib" },
    ],
    extraBinds: [{ hostPath: "/srv/crucible/guest", guestPath: "/crucible" }],
    // Deliberately out of order: the argv must list them sorted.
    env: { PATH: "/usr/bin", HOME: "/tmp", LANG: "C.UTF-8", A_FIRST: "x y" },
    limits: { diskBytes: 64 * MiB },
    seccompFd: 5,
    command: ["/usr/bin/python3", "-I", "/crucible/harness.py"],
    ...overrides,
  };
}

/** Every `--setenv NAME VALUE` triple of an argv, in order. */
function setenvPairs(argv: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  const end = argv.indexOf("--");
  for (let i = 0; i < end; i++) {
    if (argv[i] === "--setenv") {
      pairs.push([argv[i + 1]!, argv[i + 2]!]);
      i += 2;
    }
  }
  return pairs;
}

/** The bwrap options of an argv (everything before `--`), so the command cannot mask a flag. */
function options(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf("--");
  expect(end).toBeGreaterThan(0);
  return argv.slice(0, end);
}

describe("bwrapArgv", () => {
  it("should produce exactly the hardened argv, flag by flag and in order", () => {
    expect(bwrapArgv(spec())).toStrictEqual([
      "--unshare-user",
      "--unshare-pid",
      "--unshare-net",
      "--unshare-ipc",
      "--unshare-uts",
      "--unshare-cgroup",
      "--uid",
      "65534",
      "--gid",
      "65534",
      "--hostname",
      "crucible",
      "--disable-userns",
      "--die-with-parent",
      "--new-session",
      "--as-pid-1",
      "--cap-drop",
      "ALL",
      "--clearenv",
      "--setenv",
      "A_FIRST",
      "x y",
      "--setenv",
      "HOME",
      "/tmp",
      "--setenv",
      "LANG",
      "C.UTF-8",
      "--setenv",
      "PATH",
      "/usr/bin",
      "--ro-bind",
      "/usr",
      "/usr",
      "--ro-bind",
      "/etc/alternatives",
      "/etc/alternatives",
      "--ro-bind",
      "/srv/crucible/guest",
      "/crucible",
      "--symlink",
      "usr/bin",
      "/bin",
      "--symlink",
      "usr/lib",
      "/lib",
      "--proc",
      "/proc",
      "--ro-bind",
      "/proc/sys",
      "/proc/sys",
      "--dev",
      "/dev",
      "--size",
      String(64 * MiB),
      "--tmpfs",
      "/tmp",
      "--size",
      String(64 * MiB),
      "--tmpfs",
      "/dev/shm",
      "--remount-ro",
      "/",
      "--chdir",
      "/tmp",
      "--seccomp",
      "5",
      "--",
      "/usr/bin/python3",
      "-I",
      "/crucible/harness.py",
    ]);
  });

  it("should run the guest as nobody (65534) in the guest's /tmp", () => {
    expect(GUEST_UID).toBe(65534);
    expect(GUEST_WORKDIR).toBe("/tmp");
  });

  it("should omit --seccomp entirely when there is no filter descriptor", () => {
    const argv = bwrapArgv(spec({ seccompFd: null }));
    expect(argv).not.toContain("--seccomp");
    // Nothing else moves: the argv is the one with a filter minus the two seccomp words.
    const withFilter = bwrapArgv(spec({ seccompFd: 5 }));
    const at = withFilter.indexOf("--seccomp");
    expect(argv).toStrictEqual([...withFilter.slice(0, at), ...withFilter.slice(at + 2)]);
  });

  it("should pass the seccomp descriptor number it was given, including 0", () => {
    const argv = bwrapArgv(spec({ seccompFd: 0 }));
    expect(argv.slice(argv.indexOf("--seccomp"), argv.indexOf("--seccomp") + 2)).toStrictEqual(["--seccomp", "0"]);
  });

  it("should size both tmpfs mounts to diskBytes", () => {
    const argv = bwrapArgv(spec({ limits: { diskBytes: 3 * MiB } }));
    expect(argv.filter((_, i) => argv[i - 1] === "--size")).toStrictEqual([String(3 * MiB), String(3 * MiB)]);
  });

  it("should set the environment in sorted order, clear everything else first, and add nothing of its own", () => {
    const env = { ZED: "1", alpha: "2", B: "3", _under: "4", A: "5", A1: "6" };
    const argv = bwrapArgv(spec({ env }));
    const pairs = setenvPairs(argv);
    const names = pairs.map(([name]) => name);
    // Code-unit order (what a plain < comparison gives), not locale order.
    expect(names).toStrictEqual(["A", "A1", "B", "ZED", "_under", "alpha"]);
    // Exactly the given variables, each once: nothing from the host's process.env is added.
    expect(pairs).toHaveLength(Object.keys(env).length);
    expect(Object.fromEntries(pairs)).toStrictEqual(env);
    expect(argv.indexOf("--clearenv")).toBeLessThan(argv.indexOf("--setenv"));
  });

  it("should give an empty environment when the allowlist is empty", () => {
    const argv = bwrapArgv(spec({ env: {} }));
    expect(argv).toContain("--clearenv");
    expect(argv).not.toContain("--setenv");
  });

  it("should keep values with spaces, '=' and newlines as single argv words", () => {
    const argv = bwrapArgv(spec({ env: { V: "a b=c\nd --share-net" } }));
    expect(setenvPairs(argv)).toStrictEqual([["V", "a b=c\nd --share-net"]]);
  });

  it("should never mount anything read-write from the host nor share the network", () => {
    const argv = options(bwrapArgv(spec()));
    for (const flag of ["--bind", "--bind-try", "--dev-bind", "--dev-bind-try", "--share-net", "--cap-add", "--unshare-all"]) {
      expect(argv).not.toContain(flag);
    }
    // Every host path that is mounted at all is mounted read-only.
    const binds = argv.filter((word) => /^--.*bind/.test(word));
    expect(new Set(binds)).toStrictEqual(new Set(["--ro-bind"]));
  });

  it("should list system binds before extra binds, and all of them before the root is remounted read-only", () => {
    const argv = bwrapArgv(spec());
    const boundTo = argv.flatMap((word, i) => (word === "--ro-bind" ? [argv[i + 2]] : []));
    expect(boundTo).toStrictEqual(["/usr", "/etc/alternatives", "/crucible", "/proc/sys"]);
    const lastBind = argv.lastIndexOf("--ro-bind");
    const lastTmpfs = argv.lastIndexOf("--tmpfs");
    expect(argv.indexOf("--remount-ro")).toBeGreaterThan(Math.max(lastBind, lastTmpfs));
  });

  it("should pass the command after '--' untouched, even when it looks like bwrap options", () => {
    const command = ["/bin/sh", "-c", "echo hi", "--bind", "/", "/", "--share-net"];
    const argv = bwrapArgv(spec({ command }));
    expect(argv.slice(argv.indexOf("--") + 1)).toStrictEqual(command);
    expect(options(argv)).not.toContain("--share-net");
  });

  it("should not mutate the spec it was given", () => {
    const given = spec();
    const copy = structuredClone(given);
    bwrapArgv(given);
    expect(given).toStrictEqual(copy);
  });
});

describe("baseGuestEnv", () => {
  it("should give a UTF-8, bytecode-free, fixed-hash-seed environment rooted in /tmp", () => {
    expect(baseGuestEnv()).toStrictEqual({
      PATH: "/usr/local/bin:/usr/bin:/bin",
      HOME: "/tmp",
      TMPDIR: "/tmp",
      LANG: "C.UTF-8",
      LC_ALL: "C.UTF-8",
      PYTHONDONTWRITEBYTECODE: "1",
      PYTHONIOENCODING: "utf-8",
      PYTHONHASHSEED: "0",
    });
  });

  it("should put extra PATH entries first, in the order given", () => {
    expect(baseGuestEnv(["/opt/node/bin", "/crucible/bin"]).PATH).toBe("/opt/node/bin:/crucible/bin:/usr/local/bin:/usr/bin:/bin");
  });

  it("should return a fresh object each time, so a caller's additions never leak into the next guest", () => {
    const first = baseGuestEnv();
    first["EXTRA"] = "1";
    expect(baseGuestEnv()).not.toHaveProperty("EXTRA");
  });

  it("should hold loader-controlling variables that a caller's env may never override", () => {
    const fixed = Object.keys(baseGuestEnv()).filter((name) => name !== "LANG" && name !== "LC_ALL");
    expect(fixed).toStrictEqual(["PATH", "HOME", "TMPDIR", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING", "PYTHONHASHSEED"]);
    for (const name of fixed) {
      expect(() => validateGuestEnv({ [name]: "x" }), name).toThrow(/may not be set/);
    }
  });
});
