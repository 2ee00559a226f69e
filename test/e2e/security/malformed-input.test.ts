// SECURITY.md, "Malformed input": hostile strings, names and numbers get clean, specific errors
// (a CrucibleError code, or exit code 2 from the CLI) before anything runs, and the sandbox keeps
// working after each of them.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, LANGUAGES, type Limits, type RunRequest, type Sandbox, type SandboxOptions } from "../../../src/sandbox/index.ts";
import { isCrucibleError, type CrucibleError, type CrucibleErrorCode } from "../../../src/errors.ts";
import { MiB, PROJECT_DIR } from "./canaries.ts";

let sandbox: Sandbox;
let workDir: string;
beforeAll(async () => {
  sandbox = createSandbox({ poolSize: 2 });
  await sandbox.warm(["python"]);
  workDir = mkdtempSync(join(tmpdir(), "crucible-malformed-"));
});
afterAll(async () => {
  await sandbox.close();
  rmSync(workDir, { recursive: true, force: true });
});
// Nothing that was refused may have hurt the sandbox.
afterEach(async () => {
  const v = await sandbox.run({ language: "python", code: "print('still serving')" });
  expect([v.status, v.stdout]).toEqual(["ok", "still serving\n"]);
});

function thrown(work: () => unknown): CrucibleError {
  try {
    work();
  } catch (error) {
    if (isCrucibleError(error)) return error;
    throw error;
  }
  throw new Error("expected a CrucibleError, but the call succeeded");
}

async function rejected(work: () => Promise<unknown>): Promise<CrucibleError> {
  try {
    await work();
  } catch (error) {
    if (isCrucibleError(error)) return error;
    throw error;
  }
  throw new Error("expected a CrucibleError, but the call succeeded");
}

async function expectRunRefused(request: unknown, code: CrucibleErrorCode, message: RegExp): Promise<void> {
  const error = await rejected(() => sandbox.run(request as RunRequest));
  expect(error.code, error.message).toBe(code);
  expect(error.message).toMatch(message);
}

describe("hostile strings in a run request", () => {
  it("should refuse code with a lone surrogate in every language and in sessions", async () => {
    for (const language of LANGUAGES) {
      await expectRunRefused({ language, code: "print('\uD800')" }, "invalid_argument", /lone surrogate/);
      const error = await rejected(() => sandbox.session({ language, code: "x = '\uDFFF'" }));
      expect(error.code).toBe("invalid_argument");
    }
  });

  it("should refuse code with a NUL byte and say where it is", async () => {
    for (const language of LANGUAGES) await expectRunRefused({ language, code: "print(1)\0print(2)" }, "invalid_argument", /NUL byte at index 8/);
  });

  it("should refuse stdin with a lone surrogate", async () => {
    await expectRunRefused({ language: "python", code: "print(1)", stdin: "a\uD83D" }, "invalid_argument", /stdin/);
  });

  it("should refuse argv with a NUL byte, a lone surrogate, a non-string or too many entries", async () => {
    for (const argv of [["a\0b"], ["\uDC00"], [42], "not an array", Array(1025).fill("x")]) {
      await expectRunRefused({ language: "python", code: "print(1)", argv }, "invalid_argument", /argv/);
    }
  });

  it("should refuse a request that is not an object or whose code is not a string", async () => {
    await expectRunRefused(null, "invalid_argument", /request must be an object/);
    await expectRunRefused({ language: "python", code: 42 }, "invalid_argument", /code must be a string/);
    await expectRunRefused({ language: "python" }, "invalid_argument", /code must be a string/);
  });

  it("should run code that starts with '-' as code, not as an interpreter option", async () => {
    const [py, js] = await Promise.all([
      sandbox.run({ language: "python", code: "-1\nprint('ran')" }),
      sandbox.run({ language: "javascript", code: "-1; console.log('ran')" }),
    ]);
    expect([py.status, py.stdout, js.status, js.stdout]).toEqual(["ok", "ran\n", "ok", "ran\n"]);
  });

  it("should pass argv that looks like interpreter options to the program verbatim", async () => {
    const argv = ["-c", "import os; os.system('id')", "--require", "/tmp/x.js", "-", "--", "-e"];
    const [py, js] = await Promise.all([
      sandbox.run({ language: "python", code: "import sys, json\nprint(json.dumps(sys.argv[1:]))", argv }),
      sandbox.run({ language: "javascript", code: "console.log(JSON.stringify(process.argv.slice(2)))", argv }),
    ]);
    expect(py.status, py.stderr).toBe("ok");
    expect(js.status, js.stderr).toBe("ok");
    expect(JSON.parse(py.stdout)).toEqual(argv);
    expect(JSON.parse(js.stdout)).toEqual(argv);
  });
});

describe("unknown languages", () => {
  it("should refuse an unknown language and list the known ones", async () => {
    for (const language of ["ruby", "", "Python", "__proto__", "constructor", null]) {
      const error = await rejected(() => sandbox.run({ language, code: "print(1)" } as unknown as RunRequest));
      expect(error.code).toBe("unknown_language");
      expect(error.details).toEqual({ language, known: ["python", "javascript", "typescript"] });
    }
    const error = await rejected(() => sandbox.session({ language: "ruby", code: "puts 1" } as unknown as RunRequest));
    expect(error.code).toBe("unknown_language");
  });
});

describe("environment names that change what the interpreter loads", () => {
  it("should refuse NODE_OPTIONS, PYTHONPATH, PYTHONSTARTUP, LD_PRELOAD and their kin by name", () => {
    for (const name of ["NODE_OPTIONS", "NODE_PATH", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONINSPECT", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "BASH_ENV", "ENV", "PATH", "HOME", "TMPDIR"]) {
      const error = thrown(() => createSandbox({ env: { [name]: "/tmp/evil" } }));
      expect(error.code, name).toBe("invalid_argument");
      expect(error.details, name).toEqual({ name });
      expect(error.message).toContain(name);
    }
  });

  it("should refuse malformed variable names and values", () => {
    for (const env of [{ "": "x" }, { "A=B": "x" }, { "1X": "x" }, { "A B": "x" }, { ["A".repeat(200)]: "x" }, { OK: "a\0b" }, { OK: 42 }, { OK: "x".repeat(40_000) }]) {
      const error = thrown(() => createSandbox({ env } as unknown as SandboxOptions));
      expect(error.code, JSON.stringify(Object.keys(env))).toBe("invalid_argument");
    }
  });

  it("should accept an ordinary variable name", async () => {
    const own = createSandbox({ poolSize: 1, env: { CRUCIBLE_FLAVOUR: "plain" } });
    try {
      const v = await own.run({ language: "python", code: "import os\nprint(os.environ['CRUCIBLE_FLAVOUR'])" });
      expect(v.stdout).toBe("plain\n");
    } finally {
      await own.close();
    }
  });
});

describe("bad limits and options", () => {
  const bad: [string, unknown, RegExp][] = [
    ["negative", { wallTimeMs: -1 }, /wallTimeMs must be at least 1 ms/],
    ["zero", { wallTimeMs: 0 }, /wallTimeMs must be at least 1 ms/],
    ["NaN", { wallTimeMs: Number.NaN }, /wallTimeMs/],
    ["Infinity", { memoryBytes: Number.POSITIVE_INFINITY }, /memoryBytes/],
    ["fractional", { maxProcesses: 1.5 }, /maxProcesses must be a whole number/],
    ["too small", { memoryBytes: 1024 }, /memoryBytes must be at least 16777216 bytes/],
    ["too large", { wallTimeMs: 10 * 3_600_000 }, /wallTimeMs must be at most/],
    ["a string", { wallTimeMs: "1000" }, /wallTimeMs must be a number/],
    ["an unknown key", { wallTimeMS: 1000 }, /unknown limit "wallTimeMS" \(known: wallTimeMs, /],
    ["a prototype key", JSON.parse('{"__proto__": {"wallTimeMs": 1}}') as unknown, /unknown limit "__proto__"/],
  ];
  for (const [what, limits, message] of bad) {
    it(`should refuse ${what} limits with invalid_argument, at creation and per run`, async () => {
      const created = thrown(() => createSandbox({ limits: limits as Partial<Limits> }));
      expect(created.code).toBe("invalid_argument");
      expect(created.message).toMatch(message);
      await expectRunRefused({ language: "python", code: "print(1)", limits }, "invalid_argument", message);
    });
  }

  it("should name every bad limit at once", () => {
    const error = thrown(() => createSandbox({ limits: { wallTimeMs: -1, memoryBytes: -1, bogus: 1 } as unknown as Partial<Limits> }));
    expect(error.message).toMatch(/wallTimeMs/);
    expect(error.message).toMatch(/memoryBytes/);
    expect(error.message).toMatch(/bogus/);
    expect((error.details as { problems: string[] }).problems).toHaveLength(3);
  });

  it("should refuse limits that are not an object", async () => {
    // (null counts as "no overrides", like undefined.)
    for (const limits of [[], "fast", 5]) {
      await expectRunRefused({ language: "python", code: "print(1)", limits }, "invalid_argument", /limits must be an object/);
    }
  });

  it("should refuse bad pool options", () => {
    for (const options of [{ poolSize: 0 }, { poolSize: -1 }, { poolSize: 1.5 }, { poolSize: Number.NaN }, { maxQueued: -1 }, { maxSessions: 0 }]) {
      expect(thrown(() => createSandbox(options)).code, JSON.stringify(options)).toBe("invalid_argument");
    }
  });

  it("should refuse a session call whose entry is not a function name", async () => {
    const session = await sandbox.session({ language: "python", code: "def f():\n    return 1\n" });
    try {
      for (const entry of ["f()", "__import__('os').system('id')", "a;b", "", "f\0", 42]) {
        const error = await rejected(() => session.call(entry as string));
        expect(error.code, String(entry)).toBe("invalid_argument");
      }
      expect((await session.call("f")).value).toBe(1);
    } finally {
      await session.close();
    }
  });
});

describe("the command line", () => {
  const CLI = join(PROJECT_DIR, "src/cli/main.ts");

  function cli(args: string[], input?: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", CLI, ...args], { cwd: workDir, stdio: ["pipe", "pipe", "pipe"] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on("data", (c: Buffer) => out.push(c));
      child.stderr.on("data", (c: Buffer) => err.push(c));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }));
      child.stdin.end(input ?? Buffer.alloc(0));
    });
  }

  function file(name: string, content: string | Buffer): string {
    writeFileSync(join(workDir, name), content);
    return name;
  }

  it("should run a file whose name starts with '-' when it follows --, and treat it as an option otherwise", async () => {
    file("-weird.py", "print('weird ran')\n");
    const [after, bare] = await Promise.all([cli(["run", "--", "-weird.py"]), cli(["run", "-weird.py"])]);
    expect([after.code, after.stdout]).toEqual([0, "weird ran\n"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/unknown option '-weird.py'/);
    expect(bare.stdout).toBe("");
  });

  it("should pass program arguments that look like options to the program", async () => {
    file("argv.py", "import sys, json\nprint(json.dumps(sys.argv[1:]))\n");
    const r = await cli(["run", "argv.py", "--", "-c", "import os", "--help", "--memory", "1"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(["-c", "import os", "--help", "--memory", "1"]);
  });

  it("should refuse an invalid UTF-8 file or standard input with exit code 2", async () => {
    file("latin1.py", Buffer.from([0x70, 0x72, 0x69, 0x6e, 0x74, 0x28, 0x27, 0xe9, 0x27, 0x29, 0x0a]));
    const [fromFile, fromStdin] = await Promise.all([cli(["run", "latin1.py"]), cli(["run", "-", "--lang", "python"], Buffer.from([0x80, 0x81, 0xff]))]);
    expect(fromFile.code).toBe(2);
    expect(fromFile.stderr).toBe("crucible: latin1.py is not valid UTF-8\n");
    expect(fromStdin.code).toBe(2);
    expect(fromStdin.stderr).toBe("crucible: standard input is not valid UTF-8\n");
  });

  it("should refuse a file with a NUL byte or over the code limit with exit code 2", async () => {
    file("nul.py", "print(1)\0\n");
    file("huge.py", `# ${"x".repeat(2 * MiB)}\n`);
    const [nul, huge] = await Promise.all([cli(["run", "nul.py"]), cli(["run", "huge.py"])]);
    expect(nul.code).toBe(2);
    expect(nul.stderr).toMatch(/NUL byte/);
    expect(huge.code).toBe(2);
    expect(huge.stderr).toMatch(/over the 1048576-byte limit \(maxCodeBytes\); nothing was run/);
  });

  it("should refuse an unknown language, a missing file and bad limit flags with exit code 2", async () => {
    file("prog.rb", "puts 1\n");
    file("ok.py", "print(1)\n");
    const results = await Promise.all([
      cli(["run", "--lang", "ruby", "ok.py"]),
      cli(["run", "prog.rb"]),
      cli(["run", "missing.py"]),
      cli(["run", "ok.py", "--memory", "-5"]),
      cli(["run", "ok.py", "--wall-time-ms", "0"]),
      cli(["run", "ok.py", "--memory", "1K"]),
    ]);
    expect(results.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    const [ruby, rb, missing, negative, zero, tiny] = results.map((r) => r.stderr);
    expect(ruby).toMatch(/argument 'ruby' is invalid/);
    expect(rb).toMatch(/cannot tell the language of "prog.rb"/);
    expect(missing).toBe("crucible: no such file: missing.py\n");
    expect(negative).toMatch(/expected a size such as 512M/);
    expect(zero).toMatch(/wallTimeMs must be at least 1 ms/);
    expect(tiny).toMatch(/memoryBytes must be at least/);
    for (const r of results) expect(r.stdout).toBe("");
  });
});
