import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT_DIR = fileURLToPath(new URL("..", import.meta.url));

interface LoadReport {
  /** Node's record of every built-in module and internal binding loaded, e.g. "NativeModule child_process". */
  readonly moduleLoadList: string[];
  /** Files passed to process.dlopen: every native addon (.node) goes through it. */
  readonly dlopened: string[];
}

/**
 * Imports `entry` in a fresh Node process (so nothing this test runner loaded counts) and reports
 * what the import pulled in. The process gets a bare environment: a NODE_OPTIONS with a loader
 * could load modules of its own.
 */
async function loadReport(entry: string): Promise<LoadReport> {
  const script = `
    const dlopened = [];
    const dlopen = process.dlopen;
    process.dlopen = function (module, filename, ...rest) {
      dlopened.push(String(filename));
      return dlopen.call(this, module, filename, ...rest);
    };
    await import(${JSON.stringify(pathToFileURL(entry).href)});
    process.stdout.write(JSON.stringify({ moduleLoadList: process.moduleLoadList, dlopened }));
  `;
  const { stdout } = await run(process.execPath, ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", script], {
    cwd: ROOT_DIR,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as LoadReport;
}

/** What would let an import spawn processes or run native code. */
const spawnCapable = (list: readonly string[]) =>
  list.filter((m) => /^NativeModule (internal\/)?child_process$|^Internal Binding (spawn_sync|process_wrap)$/.test(m));

describe("the root entry (crucible)", () => {
  it("should load neither child_process nor any native addon", async () => {
    const report = await loadReport(fileURLToPath(new URL("./index.ts", import.meta.url)));
    // The report is real: the import itself shows up in Node's list.
    expect(report.moduleLoadList.length).toBeGreaterThan(10);
    expect(spawnCapable(report.moduleLoadList)).toStrictEqual([]);
    expect(report.dlopened).toStrictEqual([]);
  });

  it("should be told apart from the sandbox entry, which does load child_process (control)", async () => {
    const report = await loadReport(fileURLToPath(new URL("./sandbox/index.ts", import.meta.url)));
    expect(spawnCapable(report.moduleLoadList)).toContain("NativeModule child_process");
  });

  it("should export exactly its documented surface", async () => {
    const root = await import("./index.ts");
    expect(Object.keys(root).sort()).toStrictEqual(
      [
        "CrucibleError",
        "isCrucibleError",
        "DEFAULT_LIMITS",
        "resolveLimits",
        "validateGuestEnv",
        "VERDICT_STATUSES",
        "Complex",
        "decode",
        "Digest",
        "Encoded",
        "encode",
        "FrozenSet",
        "GuestException",
        "Opaque",
        "Tuple",
      ].sort(),
    );
  });
});
