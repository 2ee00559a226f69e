import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const MAIN = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "crucible-cli-"));

function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function crucible(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

describe("crucible run", () => {
  it("should run a Python file, pass its output through and exit 0", async () => {
    const r = await crucible(["run", file("ok.py", "print('hi')")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("hi\n");
    expect(r.stderr).toMatch(/^crucible: ok \(exit 0\)/m);
  });

  it("should print the verdict as JSON with --json", async () => {
    const r = await crucible(["run", "--json", file("ok.ts", "const n: number = 6 * 7; console.log(n);")]);
    expect(r.code).toBe(0);
    const verdict = JSON.parse(r.stdout) as { status: string; stdout: string };
    expect(verdict.status).toBe("ok");
    expect(verdict.stdout).toBe("42\n");
  });

  it("should pass arguments after -- to the program, even ones that look like options", async () => {
    const r = await crucible(["run", file("argv.py", "import sys; print(sys.argv[1:])"), "--", "--json", "-x"]);
    expect(r.stdout).toBe("['--json', '-x']\n");
  });

  it("should run a file whose name starts with a dash when given after --", async () => {
    const r = await crucible(["run", "--", file("-dash.py", "print('dash')")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("dash\n");
  });

  it("should read the program from standard input with - and --lang", async () => {
    const r = await crucible(["run", "--lang", "python", "-"], "print(2 + 2)");
    expect(r.stdout).toBe("4\n");
  });

  it("should exit 124 on a timeout and apply the limit flags", async () => {
    const r = await crucible(["run", "--wall-time-ms", "500", file("spin.py", "while True: pass")]);
    expect(r.code).toBe(124);
    expect(r.stderr).toContain("timeout");
  });

  it("should exit 1 for a guest error", async () => {
    const r = await crucible(["run", file("bad.py", "raise KeyError('k')")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("KeyError");
  });

  it("should escape terminal control sequences only on a terminal, keeping piped output byte-exact", async () => {
    const r = await crucible(["run", file("ansi.py", "print('\\x1b[31mred\\x1b[0m')")]);
    expect(r.stdout).toBe("\x1b[31mred\x1b[0m\n");
  });

  it("should refuse an unknown extension, naming --lang", async () => {
    const r = await crucible(["run", file("x.rb", "puts 1")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--lang");
  });

  it("should refuse an unknown --lang value", async () => {
    const r = await crucible(["run", "--lang", "cobol", file("y.py", "print(1)")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cobol/);
  });

  it("should say so when the file does not exist", async () => {
    const r = await crucible(["run", join(dir, "missing.py")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no such file");
  });

  it("should refuse a file that is not UTF-8", async () => {
    const r = await crucible(["run", file("latin1.py", Buffer.from([0x70, 0x72, 0x69, 0x6e, 0x74, 0x28, 0xe9, 0x29]))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not valid UTF-8");
  });

  it("should refuse bad limit values with a specific message", async () => {
    const neg = await crucible(["run", "--wall-time-ms", "-5", file("z.py", "print(1)")]);
    expect(neg.code).toBe(2);
    const size = await crucible(["run", "--memory", "lots", file("z2.py", "print(1)")]);
    expect(size.code).toBe(2);
    expect(size.stderr).toContain("expected a size");
    const tiny = await crucible(["run", "--memory", "1K", file("z3.py", "print(1)")]);
    expect(tiny.code).toBe(2);
    expect(tiny.stderr).toContain("memoryBytes must be at least");
  });

  it("should refuse code over the size limit before running it", async () => {
    const r = await crucible(["run", file("big.py", `x = '${"a".repeat(2 * 1024 * 1024)}'`)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("maxCodeBytes");
  });
});

describe("crucible doctor", () => {
  it("should report a working host as JSON", async () => {
    const r = await crucible(["doctor", "--json"]);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { name: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(r.code).toBe(0);
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(["bubblewrap", "cgroups", "python run", "typescript run"]));
  });
});

describe("crucible demo", () => {
  it("should run every example and get the verdict each should", async () => {
    const r = await crucible(["demo"]);
    expect(r.stdout).toContain("every example got the verdict it should");
    expect(r.code).toBe(0);
  });
});
