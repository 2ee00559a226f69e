// `crucible tools list|search|show|remove|export|import` as a user runs them, on a real SQLite
// file: JSON and table output, exit codes, and bad input that loses nothing. Most cases run the
// command in this process (a fresh `crucible` process costs seconds on a loaded machine); a few
// spawn the real binary to check its wiring, exit codes and environment.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { sampleRecord, sampleSpec } from "../../bench/library-data.ts";
import { libraryLocation, registerTools, renderTable } from "../../src/cli/tools.ts";
import { isCrucibleError } from "../../src/errors.ts";
import { openToolStore } from "../../src/library/store/open.ts";

const MAIN = join(import.meta.dirname, "../../src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "crucible-tools-cli-"));
const db = join(dir, "library.db");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `crucible <args>` in this process, with main()'s handling of errors (exit 2 and a message). */
async function crucible(args: string[]): Promise<Run> {
  const cli = new Command("crucible").exitOverride();
  registerTools(cli);
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  let code: number;
  try {
    await cli.parseAsync(args, { from: "user" });
    code = Number(process.exitCode ?? 0);
  } catch (error) {
    if (error instanceof CommanderError) code = 2;
    else if (isCrucibleError(error)) {
      stderr += `crucible: ${error.message}\n`;
      code = 2;
    } else throw error;
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
  return { code, stdout, stderr };
}

/** Runs the real `crucible` binary. */
function spawned(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--disable-warning=ExperimentalWarning", MAIN, ...args], { env: { PATH: process.env["PATH"], HOME: dir, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  const store = await openToolStore(db);
  await store.put(sampleSpec("sum_list", "1.0.0", { provenance: { task: "HumanEval/0", model: "tiny" } }), sampleRecord());
  await store.put(sampleSpec("sum_list", "1.1.0"), sampleRecord());
  await store.put(sampleSpec("reverse_words", "1.0.0", { description: "Reverse the order of words in a sentence.\u001b[31m", inputSchema: { type: "object", properties: { s: { type: "string" } } }, outputSchema: { type: "string" } }), sampleRecord());
  await store.put(sampleSpec("broken", "0.1.0"), sampleRecord("flagged"));
  await store.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("crucible tools", () => {
  it("should list latest versions as a table and as JSON", async () => {
    const table = await crucible(["tools", "list", "--db", db]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^TOOL +STATUS +LANGUAGE +SIGNATURE +HASH +DESCRIPTION/u);
    expect(table.stdout).toMatch(/sum_list@1\.1\.0 +verified +python +\(list\[int\]\) -> int/u);
    expect(table.stdout).toMatch(/broken@0\.1\.0 +flagged/u);
    const json = await crucible(["tools", "--db", db, "list", "--all-versions", "--json"]);
    expect((JSON.parse(json.stdout) as { name: string }[]).map((t) => t.name)).toStrictEqual(["broken", "reverse_words", "sum_list", "sum_list"]);
  });

  it("should search by words and by signature", async () => {
    const words = await crucible(["tools", "search", "--db", db, "--json", "reverse", "sentence"]);
    const hits = JSON.parse(words.stdout) as { tool: { name: string }; matched: { text: boolean } }[];
    expect(hits[0]?.tool.name).toBe("reverse_words");
    const sig = await crucible(["tools", "search", "--db", db, "(s: string) => string"]);
    expect(sig.stdout).toMatch(/reverse_words@1\.0\.0 .* exact/u);
    const none = await crucible(["tools", "search", "--db", db, "zyzzyva"]);
    expect([none.code, none.stdout.trim()]).toStrictEqual([0, "no tools match"]);
    const bad = await spawned(["tools", "search", "--db", db, "(list[int) -> int"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cannot read the signature/u);
  });

  it("should show a tool with its record, and exit 1 for an unknown one", async () => {
    const shown = await crucible(["tools", "show", "--db", db, "sum_list@1.0.0", "--source"]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/provenance +task HumanEval\/0; model tiny/u);
    expect(shown.stdout).toMatch(/passed +test empty/u);
    expect(shown.stdout).toMatch(/return sum\(xs\)/u);
    const json = JSON.parse((await crucible(["tools", "show", "--db", db, "broken", "--json"])).stdout) as { status: string; verifications: unknown[]; usage: { calls: number } };
    expect([json.status, json.verifications.length, json.usage.calls]).toStrictEqual(["flagged", 1, 0]);
    const missing = await spawned(["tools", "show", "--db", db, "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no tool matches "nope"; `crucible tools list`/u);
  });

  it("should export, refuse a damaged bundle without writing anything, and import a sound one", async () => {
    const bundle = join(dir, "bundle.jsonl");
    const exported = await crucible(["tools", "export", bundle, "--db", db]);
    expect(exported.stdout).toMatch(/exported 4 tool\(s\)/u);
    const lines = readFileSync(bundle, "utf8").trim().split("\n");
    expect(lines).toHaveLength(4);

    const other = join(dir, "other.db");
    const damaged = join(dir, "damaged.jsonl");
    writeFileSync(damaged, [lines[0], lines[1]!.replace("sum(xs)", "max(xs)"), lines[2]].join("\n"));
    const refused = await crucible(["tools", "import", damaged, "--db", other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/nothing was written: entry 2 .* does not match its spec/u);
    expect(JSON.parse((await crucible(["tools", "list", "--db", other, "--json"])).stdout)).toStrictEqual([]);

    const imported = await crucible(["tools", "import", bundle, "--db", other, "--json"]);
    expect(JSON.parse(imported.stdout)).toStrictEqual({ added: 4, skipped: 0 });
    const stdoutExport = await crucible(["tools", "export", "--db", other]);
    expect(stdoutExport.stdout.trim().split("\n").sort()).toStrictEqual([...lines].sort());
    expect((await crucible(["tools", "import", join(dir, "missing.jsonl"), "--db", other])).stderr).toMatch(/no such file/u);
  });

  it("should remove one version, then every version, and use CRUCIBLE_LIBRARY when --db is absent", async () => {
    const removed = await spawned(["tools", "remove", "sum_list@1.1.0"], { CRUCIBLE_LIBRARY: db });
    expect(removed.stdout).toMatch(/^removed sum_list@1\.1\.0 \(/u);
    expect(JSON.parse((await crucible(["tools", "show", "sum_list", "--json", "--db", db])).stdout)).toMatchObject({ version: "1.0.0" });
    expect((await crucible(["tools", "remove", "sum_list", "--json", "--db", db])).stdout).toMatch(/"version": "1\.0\.0"/u);
    expect((await crucible(["tools", "remove", "sum_list", "--db", db])).code).toBe(1);
  });

  it("should escape control characters from tool text on a terminal only, and resolve the default location", () => {
    expect(renderTable(["A", "B"], [["x", "y\nz"]], 80)).toBe("A  B\nx  y z");
    expect(libraryLocation(undefined, { XDG_DATA_HOME: "/data" })).toBe("/data/crucible/library.db");
    expect(libraryLocation(undefined, { XDG_DATA_HOME: "relative", CRUCIBLE_LIBRARY: "" })).toMatch(/\.local\/share\/crucible\/library\.db$/u);
    expect(libraryLocation("postgres://h/db", { CRUCIBLE_LIBRARY: "x" })).toBe("postgres://h/db");
  });
});
