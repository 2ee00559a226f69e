import { describe, expect, it } from "vitest";
import { isCrucibleError } from "../errors.ts";
import { DEFAULT_LIMITS, resolveLimits, validateGuestEnv, type Limits } from "./policy.ts";
import { caught } from "../../test/support/caught.ts";

const MiB = 1024 * 1024;

/** Calls `fn`, expects a CrucibleError, and returns it for closer inspection. */

describe("DEFAULT_LIMITS", () => {
  it("should hold the documented defaults", () => {
    expect(DEFAULT_LIMITS).toStrictEqual({
      wallTimeMs: 10_000,
      cpuTimeMs: 10_000,
      memoryBytes: 512 * MiB,
      maxProcesses: 64,
      maxOpenFiles: 256,
      maxFileBytes: 16 * MiB,
      diskBytes: 64 * MiB,
      maxOutputBytes: 1 * MiB,
      maxCodeBytes: 1 * MiB,
    });
  });

  it("should be frozen, so no caller can change every later run's limits", () => {
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });
});

describe("resolveLimits", () => {
  it("should return the defaults when nothing is overridden", () => {
    expect(resolveLimits()).toStrictEqual(DEFAULT_LIMITS);
    expect(resolveLimits({})).toStrictEqual(DEFAULT_LIMITS);
  });

  it("should merge overrides onto the defaults and leave the rest alone", () => {
    expect(resolveLimits({ wallTimeMs: 2000, memoryBytes: 128 * MiB })).toStrictEqual({
      ...DEFAULT_LIMITS,
      wallTimeMs: 2000,
      memoryBytes: 128 * MiB,
    });
  });

  it("should merge onto the base it is given, not the defaults", () => {
    const base = resolveLimits({ wallTimeMs: 2000, maxProcesses: 8 });
    expect(resolveLimits({ cpuTimeMs: 500 }, base)).toStrictEqual({ ...DEFAULT_LIMITS, wallTimeMs: 2000, maxProcesses: 8, cpuTimeMs: 500 });
  });

  it("should treat an override of undefined as absent", () => {
    expect(resolveLimits({ wallTimeMs: undefined })).toStrictEqual(DEFAULT_LIMITS);
  });

  it("should accept the bounds themselves", () => {
    expect(resolveLimits({ wallTimeMs: 1, maxOutputBytes: 0, maxFileBytes: 0, memoryBytes: 16 * MiB }).wallTimeMs).toBe(1);
    expect(resolveLimits({ wallTimeMs: 3_600_000 }).wallTimeMs).toBe(3_600_000);
  });

  it("should return a frozen object and leave its inputs untouched", () => {
    const overrides = { wallTimeMs: 5 };
    const base: Limits = { ...DEFAULT_LIMITS };
    const out = resolveLimits(overrides, base);
    expect(Object.isFrozen(out)).toBe(true);
    expect(overrides).toStrictEqual({ wallTimeMs: 5 });
    expect(base).toStrictEqual(DEFAULT_LIMITS);
  });

  it.each([
    ["negative", { wallTimeMs: -1 }, "wallTimeMs", /at least 1 ms/],
    ["NaN", { cpuTimeMs: NaN }, "cpuTimeMs", /cpuTimeMs/],
    ["non-integer", { memoryBytes: 64 * MiB + 0.5 }, "memoryBytes", /whole number of bytes/],
    ["Infinity", { maxFileBytes: Infinity }, "maxFileBytes", /maxFileBytes/],
    ["a string", { maxProcesses: "8" }, "maxProcesses", /must be a number/],
    ["over the maximum", { wallTimeMs: 3_600_001 }, "wallTimeMs", /at most 3600000 ms/],
    ["under the minimum", { maxOpenFiles: 15 }, "maxOpenFiles", /at least 16 files/],
    ["zero where at least 1 is needed", { maxCodeBytes: 0 }, "maxCodeBytes", /at least 1 bytes/],
  ] as const)("should refuse a %s value with invalid_argument naming the field", (_what, overrides, field, message) => {
    const error = caught(() => resolveLimits(overrides));
    expect(error.code).toBe("invalid_argument");
    expect(isCrucibleError(error, "invalid_argument")).toBe(true);
    expect(error.message).toContain(field);
    expect(error.message).toMatch(message);
    expect(error.details["problems"]).toStrictEqual([expect.stringContaining(field)]);
  });

  it("should refuse an unknown limit by name and list the known ones", () => {
    const error = caught(() => resolveLimits({ wallTimeMS: 100 }));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain('unknown limit "wallTimeMS"');
    for (const known of Object.keys(DEFAULT_LIMITS)) expect(error.message).toContain(known);
  });

  it("should report every problem at once", () => {
    const error = caught(() => resolveLimits({ wallTimeMs: -5, memoryBytes: 1.5, maxProcesses: 1e9, colour: "red", size: 1 }));
    expect(error.code).toBe("invalid_argument");
    const problems = error.details["problems"] as string[];
    expect(problems).toHaveLength(4);
    expect(problems.find((p) => p.startsWith("wallTimeMs "))).toMatch(/at least 1 ms/);
    expect(problems.find((p) => p.startsWith("memoryBytes "))).toBeDefined();
    expect(problems.find((p) => p.startsWith("maxProcesses "))).toMatch(/at most 4096 processes/);
    expect(problems.find((p) => p.startsWith("unknown limit"))).toMatch(/"colour", "size"/);
    for (const problem of problems) expect(error.message).toContain(problem);
  });

  it.each([null, 5, "fast", [1, 2], true])("should refuse %j as the overrides object", (overrides) => {
    const error = caught(() => resolveLimits(overrides));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(/limits must be an object/);
  });

  it("should refuse a '__proto__' key (as JSON input has it) as an unknown limit instead of dropping it", () => {
    // Limits may come from JSON (a config file, an MCP tool call): there "__proto__" is an own key.
    const overrides = JSON.parse('{"__proto__": {"wallTimeMs": 1}}') as unknown;
    expect(Object.keys(overrides as object)).toStrictEqual(["__proto__"]);
    const error = caught(() => resolveLimits(overrides));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain('unknown limit "__proto__"');
  });
});

describe("validateGuestEnv", () => {
  it("should accept ordinary names and values and return a frozen copy", () => {
    const env = { API_BASE: "http://localhost", lower_case: "ok", _X1: "", LANG: "C.UTF-8", A: "x".repeat(32_768) };
    const out = validateGuestEnv(env);
    expect(out).toStrictEqual(env);
    expect(out).not.toBe(env);
    expect(Object.isFrozen(out)).toBe(true);
  });

  it("should accept no environment at all", () => {
    expect(validateGuestEnv()).toStrictEqual({});
    expect(validateGuestEnv({})).toStrictEqual({});
  });

  it.each([
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PYTHONHOME",
    "PYTHONINSPECT",
    "NODE_OPTIONS",
    "NODE_PATH",
    "DYLD_INSERT_LIBRARIES",
    "BASH_ENV",
    "ENV",
    "PATH",
    "HOME",
    "TMPDIR",
  ])("should refuse %s, which changes what the interpreter loads or where it writes", (name) => {
    const error = caught(() => validateGuestEnv({ [name]: "/tmp/evil" }));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain(name);
    expect(error.details).toStrictEqual({ name });
  });

  it("should refuse a forbidden name even alongside good ones", () => {
    expect(caught(() => validateGuestEnv({ GOOD: "1", LD_PRELOAD: "/x.so" })).code).toBe("invalid_argument");
  });

  it.each(["", "1ABC", "A-B", "A B", "A=B", "A\0B", "É", "a".repeat(129)])("should refuse the malformed name %j", (name) => {
    const error = caught(() => validateGuestEnv({ [name]: "x" }));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain(JSON.stringify(name));
  });

  it("should accept a name of 128 characters, the longest allowed", () => {
    const name = "A".repeat(128);
    expect(validateGuestEnv({ [name]: "x" })).toStrictEqual({ [name]: "x" });
  });

  it("should refuse a value with a NUL byte", () => {
    const error = caught(() => validateGuestEnv({ TOKEN: "abc\0def" }));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toContain("TOKEN");
    expect(error.message).toMatch(/NUL/);
  });

  it("should refuse a value that is not a string or is longer than 32768 characters", () => {
    expect(caught(() => validateGuestEnv({ N: 5 as unknown as string })).code).toBe("invalid_argument");
    expect(caught(() => validateGuestEnv({ N: "x".repeat(32_769) })).code).toBe("invalid_argument");
  });

  it("should match forbidden prefixes exactly, not names that merely contain them", () => {
    expect(validateGuestEnv({ MY_PATH: "a", XLD_PRELOAD: "b", HOMEPAGE: "c", ENVIRONMENT: "d" })).toStrictEqual({
      MY_PATH: "a",
      XLD_PRELOAD: "b",
      HOMEPAGE: "c",
      ENVIRONMENT: "d",
    });
  });
});
