// The ToolStore contract, run against every implementation: a SQLite file and a real PostgreSQL
// server started for this run (test/support/postgres.ts).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { sampleRecord, sampleSpec } from "../../bench/library-data.ts";
import { CrucibleError } from "../../src/errors.ts";
import { bundleLine, parseBundle } from "../../src/library/store/bundle.ts";
import { openToolStore } from "../../src/library/store/open.ts";
import type { BundleEntry, ChangeEvent, ToolStore } from "../../src/library/store/store.ts";
import { toolHash, type ToolSpec } from "../../src/library/tool.ts";
import { startPostgres, type PostgresServer } from "../support/postgres.ts";

/** The CrucibleError a promise rejects with; fails the test otherwise. */
async function rejected(p: Promise<unknown>): Promise<CrucibleError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(CrucibleError);
    return error as CrucibleError;
  }
  throw new Error("expected a CrucibleError, but the promise resolved");
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const dir = mkdtempSync(join(tmpdir(), "crucible-store-"));
let pgServer: PostgresServer | undefined;
let fileCount = 0;

const implementations: { name: string; open: () => Promise<string> }[] = [
  { name: "SQLite file", open: () => Promise.resolve(join(dir, `lib-${++fileCount}.db`)) },
  {
    name: "PostgreSQL",
    open: async () => {
      pgServer ??= await startPostgres();
      return pgServer.createDatabase();
    },
  },
];

afterAll(async () => {
  await pgServer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(implementations)("ToolStore on $name", ({ open }) => {
  const stores: ToolStore[] = [];
  const fresh = async () => {
    const store = await openToolStore(await open());
    stores.push(store);
    return store;
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it("should store a tool and read it back byte for byte by name, name@version, hash and hash prefix", async () => {
    const store = await fresh();
    // Parameter order lives in the key order of `properties`; it must survive storage.
    const spec = sampleSpec("pair_sum", "1.0.0", {
      inputSchema: { type: "object", properties: { zeta: { type: "integer" }, alpha: { type: "integer" } } },
    });
    const { tool, created } = await store.put(spec, sampleRecord());
    expect(created).toBe(true);
    expect(tool.hash).toBe(toolHash(spec));
    expect(tool.status).toBe("verified");
    for (const ref of ["pair_sum", "pair_sum@1.0.0", "pair_sum@latest", tool.hash, tool.hash.slice(0, 10)]) {
      const got = await store.get(ref);
      expect(got?.hash, ref).toBe(tool.hash);
    }
    const got = (await store.get("pair_sum"))!;
    expect(Object.keys(got.inputSchema["properties"] as object)).toStrictEqual(["zeta", "alpha"]);
    expect(got.verification).toStrictEqual(sampleRecord());
    expect(await store.get("nothing_here")).toBeNull();
    // A name that looks like a hash prefix still finds its tool, and can be removed by name.
    await store.put(sampleSpec("deadbeef"), sampleRecord());
    expect((await store.get("deadbeef"))?.name).toBe("deadbeef");
    expect((await store.remove("deadbeef")).map((t) => t.name)).toStrictEqual(["deadbeef"]);
    expect(await store.get("pair_sum@9.9.9")).toBeNull();
  });

  it("should be idempotent by hash and refuse a changed tool under a stored version", async () => {
    const store = await fresh();
    const spec = sampleSpec("adder");
    const first = await store.put(spec, sampleRecord());
    const again = await store.put(spec, sampleRecord("flagged"));
    expect(again.created).toBe(false);
    expect(again.tool.status).toBe("verified");
    const error = await rejected(store.put({ ...spec, source: `${spec.source}\n# changed\n` }, sampleRecord()));
    expect(error.code).toBe("conflict");
    expect(error.message).toMatch(/new version/u);
    expect((await store.versions("adder")).map((v) => v.hash)).toStrictEqual([first.tool.hash]);
  });

  it("should resolve latest to the highest verified version (semver order), and flagged ones only when asked", async () => {
    const store = await fresh();
    await store.put(sampleSpec("rank", "1.2.0"), sampleRecord());
    await store.put(sampleSpec("rank", "1.10.0"), sampleRecord());
    await store.put(sampleSpec("rank", "2.0.0"), sampleRecord("flagged"));
    await store.put(sampleSpec("rank", "1.10.1-beta.1"), sampleRecord());
    expect((await store.get("rank"))?.version).toBe("1.10.1-beta.1");
    await store.remove("rank@1.10.1-beta.1");
    expect((await store.get("rank"))?.version).toBe("1.10.0");
    expect((await store.versions("rank")).map((v) => v.version)).toStrictEqual(["2.0.0", "1.10.0", "1.2.0"]);
    await store.put(sampleSpec("shaky", "1.0.0"), sampleRecord("flagged"));
    expect(await store.get("shaky")).toBeNull();
    expect((await store.get("shaky", { allowFlagged: true }))?.status).toBe("flagged");
  });

  it("should append verification records, derive status from the latest, and announce the change", async () => {
    const store = await fresh();
    const events: ChangeEvent[] = [];
    store.on("changed", (e) => events.push(e));
    await store.put(sampleSpec("rank", "1.0.0"), sampleRecord());
    const v2 = await store.put(sampleSpec("rank", "2.0.0"), sampleRecord("flagged"));
    expect((await store.get("rank"))?.version).toBe("1.0.0");
    const reverified = await store.addVerification(v2.tool.hash, sampleRecord("verified", "2026-02-01T00:00:00.000Z"));
    expect(reverified.status).toBe("verified");
    expect((await store.get("rank"))?.version).toBe("2.0.0");
    expect((await store.verifications(v2.tool.hash)).map((r) => r.status)).toStrictEqual(["flagged", "verified"]);
    await store.addVerification(v2.tool.hash, sampleRecord("flagged", "2026-03-01T00:00:00.000Z"));
    expect((await store.get("rank"))?.version).toBe("1.0.0");
    expect(events.map((e) => e.kind)).toStrictEqual(["added", "added", "verified", "verified"]);
    expect(events[2]?.tools).toStrictEqual([{ name: "rank", version: "2.0.0", hash: v2.tool.hash }]);
    expect((await rejected(store.addVerification("0".repeat(64), sampleRecord()))).code).toBe("not_found");
  });

  it("should rank by name, description, docstring and solved tasks, and match signatures", async () => {
    const store = await fresh();
    const list = (items: object) => ({ type: "array", items });
    const tools: ToolSpec[] = [
      sampleSpec("median", "1.0.0", { description: "Middle value of a list of numbers.", outputSchema: { type: "number" }, inputSchema: { type: "object", properties: { xs: list({ type: "number" }) } } }),
      sampleSpec("sort_desc", "1.0.0", { description: "Order integers from largest to smallest.", outputSchema: list({ type: "integer" }) }),
      sampleSpec("total", "1.0.0", { description: "Adds things.", provenance: { task: "HumanEval/53 quarterly revenue rollup" } }),
      sampleSpec("word_count", "1.0.0", {
        description: "Counts words.",
        source: 'def word_count(s: str) -> int:\n    """Tokenize on whitespace and tally the tokens."""\n    return len(s.split())\n',
        entryPoint: "word_count",
        inputSchema: { type: "object", properties: { s: { type: "string" } } },
      }),
      sampleSpec("isPalindrome", "1.0.0", { language: "typescript", entryPoint: "isPalindrome", source: "/** Reads the same both ways. */\nfunction isPalindrome(s: string): boolean { return s === [...s].reverse().join(''); }\n", description: "Palindrome check.", inputSchema: { type: "object", properties: { s: { type: "string" } } }, outputSchema: { type: "boolean" } }),
    ];
    for (const t of tools) await store.put(t, sampleRecord());
    await store.put(sampleSpec("median_flagged", "1.0.0", { description: "Middle value, broken." }), sampleRecord("flagged"));

    const top = async (q: string, opts = {}) => (await store.search(q, opts)).map((h) => h.tool.name);
    expect((await top("median"))[0]).toBe("median");
    expect((await top("largest smallest"))[0]).toBe("sort_desc"); // description
    expect((await top("tally tokens"))[0]).toBe("word_count"); // docstring
    expect((await top("revenue rollup"))[0]).toBe("total"); // provenance task
    expect((await top("palindrome"))[0]).toBe("isPalindrome"); // camelCase name split
    expect(await top("both ways")).toContain("isPalindrome"); // JSDoc
    expect(await top("middle value")).not.toContain("median_flagged");
    expect(await top("middle value", { status: "any" })).toContain("median_flagged");
    expect(await top("palindrome", { language: "python" })).toStrictEqual([]);

    // A task recorded with a use joins the search document.
    const wc = (await store.get("word_count"))!;
    await store.recordUsage(wc.hash, { ok: true, ms: 3, task: "lexical density of essays" });
    expect((await top("lexical density"))[0]).toBe("word_count");

    // Signatures: exact, loose (int ~ float), wildcard return, combined with words.
    const sig = await store.search("(list[int]) -> int");
    expect(sig.filter((h) => h.matched.signature === "exact").map((h) => h.tool.name).sort()).toStrictEqual(["total"]);
    expect(sig.map((h) => h.tool.name)).toContain("median"); // loose: list[float] -> float
    expect(sig.find((h) => h.tool.name === "median")?.matched.signature).toBe("loose");
    expect(sig[0]?.matched.signature).toBe("exact");
    expect((await top("(s: string) => boolean"))).toStrictEqual(["isPalindrome"]);
    expect((await top("(str) -> _")).sort()).toStrictEqual(["isPalindrome", "word_count"]);
    const both = await store.search("middle (list[float]) -> float");
    expect(both[0]?.tool.name).toBe("median");
    expect(both[0]?.matched).toStrictEqual({ text: true, signature: "exact" });
  });

  it("should reject bad queries with a specific error", async () => {
    const store = await fresh();
    expect((await rejected(store.search("   "))).message).toMatch(/empty/u);
    expect((await rejected(store.search("(list[int) -> int"))).message).toMatch(/signature/u);
    expect((await rejected(store.search("x".repeat(5000)))).message).toMatch(/at most/u);
    expect((await rejected(store.search("sum", { limit: 0 }))).message).toMatch(/limit/u);
    // Query syntax of the engines is never interpreted: operators are just words.
    await store.put(sampleSpec("adder"), sampleRecord());
    expect(await store.search('sum" OR NEAR(x* AND -- \'; drop table tools')).toBeInstanceOf(Array);
    expect(await store.get("adder")).not.toBeNull();
  });

  it("should list each name's latest version, or every version", async () => {
    const store = await fresh();
    await store.put(sampleSpec("a_tool", "1.0.0"), sampleRecord());
    await store.put(sampleSpec("a_tool", "1.1.0"), sampleRecord());
    await store.put(sampleSpec("b_tool", "1.0.0"), sampleRecord("flagged"));
    expect((await store.list()).map((t) => `${t.name}@${t.version}:${t.status}`)).toStrictEqual(["a_tool@1.1.0:verified", "b_tool@1.0.0:flagged"]);
    expect((await store.list({ allVersions: true })).length).toBe(3);
    expect((await store.list({ name: "a_tool" })).length).toBe(2);
    expect((await store.list({ status: "verified" })).map((t) => t.name)).toStrictEqual(["a_tool"]);
    expect((await store.list({ limit: 1, offset: 1 })).map((t) => t.name)).toStrictEqual(["b_tool"]);
    expect((await store.list())[0]?.signature).toBe("(list[int]) -> int");
  });

  it("should remove one version or a whole name, leaving nothing searchable behind", async () => {
    const store = await fresh();
    const events: ChangeEvent[] = [];
    store.on("changed", (e) => events.push(e));
    await store.put(sampleSpec("gone", "1.0.0"), sampleRecord());
    await store.put(sampleSpec("gone", "2.0.0"), sampleRecord());
    expect((await store.remove("gone@2.0.0")).map((t) => t.version)).toStrictEqual(["2.0.0"]);
    expect((await store.get("gone"))?.version).toBe("1.0.0");
    await store.put(sampleSpec("gone", "3.0.0"), sampleRecord());
    expect((await store.remove("gone")).length).toBe(2);
    expect(await store.list({ name: "gone" })).toStrictEqual([]);
    expect(await store.search("gone", { status: "any", allVersions: true })).toStrictEqual([]);
    expect(await store.remove("gone")).toStrictEqual([]);
    expect(events.filter((e) => e.kind === "removed").map((e) => e.tools.length)).toStrictEqual([1, 2]);
  });

  it("should count uses", async () => {
    const store = await fresh();
    const { tool } = await store.put(sampleSpec("used"), sampleRecord());
    expect(await store.usage(tool.hash)).toStrictEqual({ calls: 0, failures: 0, totalMs: 0, lastUsedAt: null });
    await store.recordUsage(tool.hash, { ok: true, ms: 2.5 });
    await store.recordUsage(tool.hash, { ok: false, ms: 1 });
    const u = (await store.usage(tool.hash))!;
    expect([u.calls, u.failures, u.totalMs]).toStrictEqual([2, 1, 3.5]);
    expect(u.lastUsedAt).not.toBeNull();
    expect(await store.usage("f".repeat(64))).toBeNull();
    expect((await rejected(store.recordUsage("f".repeat(64), { ok: true, ms: 1 }))).code).toBe("not_found");
    expect((await rejected(store.recordUsage(tool.hash, { ok: true, ms: -1 }))).code).toBe("invalid_argument");
  });

  it("should export a bundle that imports into another store with hashes checked, all or nothing", async () => {
    const source = await fresh();
    await source.put(sampleSpec("one"), sampleRecord());
    const two = await source.put(sampleSpec("two"), sampleRecord("flagged"));
    await source.addVerification(two.tool.hash, sampleRecord());
    const text = (await collect(source.exportTools())).map(bundleLine).join("\n");
    const entries = parseBundle(text);
    expect(entries.map((e) => e.verifications.length)).toStrictEqual([1, 2]);

    const target = await fresh();
    expect(await target.importTools(entries)).toStrictEqual({ added: 2, skipped: 0 });
    expect(await target.importTools(entries)).toStrictEqual({ added: 0, skipped: 2 });
    expect((await target.get("two"))?.status).toBe("verified");
    expect(await target.verifications(two.tool.hash)).toStrictEqual(await source.verifications(two.tool.hash));

    // A tampered entry (source changed, hash kept) is refused, and nothing else of the bundle is written.
    const empty = await fresh();
    const tampered = entries.map((e, i) => (i === 1 ? { ...e, spec: { ...e.spec, source: "def two(xs): return 0\n" } } : e));
    const error = await rejected(empty.importTools(tampered));
    expect(error.message).toMatch(/entry 2 \(two@1\.0\.0\): hash .* does not match/u);
    expect(await empty.list({ status: "any" })).toStrictEqual([]);
    expect(() => parseBundle(`${text}\n{oops`)).toThrow(/line 3: not JSON/u);

    // A bundle that clashes with a stored name@version writes nothing either.
    const clash = await fresh();
    await clash.put(sampleSpec("two", "1.0.0", { description: "Another tool, same name and version." }), sampleRecord());
    expect((await rejected(clash.importTools(entries))).code).toBe("conflict");
    expect(await clash.get("one")).toBeNull();
  });

  it("should report bad specs completely and store nothing", async () => {
    const store = await fresh();
    const bad = { ...sampleSpec("ok"), name: "9bad name", version: "one", inputSchema: { type: "array" } } as unknown as ToolSpec;
    const error = await rejected(store.put(bad, sampleRecord()));
    expect(error.code).toBe("invalid_argument");
    expect(error.details["issues"]).toHaveLength(3);
    expect(error.message).toMatch(/name: .*version: .*inputSchema: /u);
    const badRecord = await rejected(store.put(sampleSpec("ok"), { ...sampleRecord(), status: "maybe" } as never));
    expect(badRecord.message).toMatch(/verification record/u);
    // A batch with one conflicting tool writes none of them.
    await store.put(sampleSpec("taken"), sampleRecord());
    const batch = [
      { spec: sampleSpec("fresh_one"), verification: sampleRecord() },
      { spec: sampleSpec("taken", "1.0.0", { description: "Different." }), verification: sampleRecord() },
    ];
    expect((await rejected(store.putMany(batch))).code).toBe("conflict");
    expect(await store.get("fresh_one")).toBeNull();
    expect((await store.list({ status: "any" })).map((t) => t.name)).toStrictEqual(["taken"]);
  });

  it("should take many concurrent writers in one process without losing any", async () => {
    const store = await fresh();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => store.put(sampleSpec(`con_${i}`), sampleRecord())));
    expect(results.every((r) => r.created)).toBe(true);
    expect((await store.list()).length).toBe(30);
  });

  it("should refuse work after close and honour an aborted signal", async () => {
    const store = await fresh();
    const controller = new AbortController();
    controller.abort(new Error("user cancelled"));
    expect((await rejected(store.search("sum", { signal: controller.signal }))).code).toBe("aborted");
    expect((await rejected(store.put(sampleSpec("x"), sampleRecord(), { signal: controller.signal }))).code).toBe("aborted");
    expect(await store.get("x")).toBeNull();
    await store.close();
    expect((await rejected(store.list())).code).toBe("closed");
  });
});

describe("opening a store", () => {
  it("should say clearly when a file is not a database, and leave the file alone", async () => {
    const file = join(dir, "notes.txt");
    writeFileSync(file, "my notes, not a database\n".repeat(200));
    const error = await rejected(openToolStore(file));
    expect(error.code).toBe("storage");
    expect(error.message).toMatch(/notes\.txt: file is not a database/u);
    expect(readFileSync(file, "utf8")).toBe("my notes, not a database\n".repeat(200));
  });

  it("should say clearly when PostgreSQL cannot be reached", async () => {
    const error = await rejected(openToolStore("postgres://crucible@127.0.0.1:1/none"));
    expect(error.code).toBe("storage");
    expect(error.message).toMatch(/cannot open the postgres tool library: .*ECONNREFUSED/u);
  });

  it("should refuse an empty location", async () => {
    expect((await rejected(openToolStore("sqlite:"))).code).toBe("invalid_argument");
  });
});

describe("bundles between dialects", () => {
  let pg: string;
  beforeAll(async () => {
    pgServer ??= await startPostgres();
    pg = await pgServer.createDatabase();
  });

  it("should move tools from a SQLite file to PostgreSQL with identical hashes and records", async () => {
    const sqlite = await openToolStore(join(dir, "to-pg.db"));
    const postgres = await openToolStore(pg);
    try {
      await sqlite.put(sampleSpec("mover", "1.0.0", { provenance: { task: "t", model: "m", parents: ["a".repeat(64)] } }), sampleRecord());
      const entries: BundleEntry[] = await collect(sqlite.exportTools());
      expect(await postgres.importTools(entries)).toStrictEqual({ added: 1, skipped: 0 });
      expect(await postgres.get("mover")).toStrictEqual(await sqlite.get("mover").then((t) => ({ ...t!, createdAt: t!.createdAt })));
    } finally {
      await sqlite.close();
      await postgres.close();
    }
  });
});

describe("the crucible/library entry", () => {
  it("should resolve as a subpath export and be what loads better-sqlite3 (so the root entry need not)", async () => {
    const { execFile } = await import("node:child_process");
    const script = `
      const dlopened = [];
      const dlopen = process.dlopen;
      process.dlopen = function (m, f, ...r) { dlopened.push(String(f)); return dlopen.call(this, m, f, ...r); };
      const lib = await import("crucible/library");
      const store = await lib.openToolStore(":memory:");
      await store.close();
      process.stdout.write(JSON.stringify({ exports: Object.keys(lib), dlopened }));`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", script], { cwd: join(import.meta.dirname, "../.."), timeout: 30_000 }, (error, out) => (error ? reject(new Error(`the child failed: ${error.message}`)) : resolve(out))),
    );
    const report = JSON.parse(stdout) as { exports: string[]; dlopened: string[] };
    expect(report.exports).toEqual(expect.arrayContaining(["openToolStore", "toolHash", "parseToolSpec", "signatureOf"]));
    expect(report.dlopened.some((f) => f.includes("better-sqlite3"))).toBe(true);
  });
});
