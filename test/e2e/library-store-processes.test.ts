// The store across processes: several processes writing one database at once (no lost writes, no
// SQLITE_BUSY reaching anyone), and a process killed with SIGKILL inside an admission's transaction
// (no partial tool). Run against a SQLite file and a real PostgreSQL server.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { sampleRecord, sampleSpec } from "../../bench/library-data.ts";
import { openToolStore } from "../../src/library/store/open.ts";
import { startPostgres, type PostgresServer } from "../support/postgres.ts";

const OPEN = pathToFileURL(join(import.meta.dirname, "../../src/library/store/open.ts")).href;
const DATA = pathToFileURL(join(import.meta.dirname, "../../bench/library-data.ts")).href;

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs an ES module script in a fresh Node; `onLine` sees stdout lines as they come. */
function runChild(script: string, onLine?: (line: string, kill: () => void) => void): Promise<ChildResult> {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (b: Buffer) => {
    const before = stdout.length;
    stdout += b.toString();
    for (const line of stdout.slice(stdout.lastIndexOf("\n", before) + 1).split("\n").slice(0, -1)) onLine?.(line, () => child.kill("SIGKILL"));
  });
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Rows left in every table of the store, keyed by table. */
async function rowCounts(url: string): Promise<Record<string, number>> {
  const tables = ["tools", "verifications", "tool_state", "tool_tasks"];
  if (url.startsWith("postgres")) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const out: Record<string, number> = {};
      for (const t of [...tables, "tool_search"]) out[t] = Number((await client.query<{ n: string }>(`select count(*) as n from ${t}`)).rows[0]!.n);
      return out;
    } finally {
      await client.end();
    }
  }
  const db = new BetterSqlite3(url, { readonly: true });
  try {
    return Object.fromEntries([...tables, "tool_fts"].map((t) => [t, (db.prepare(`select count(*) as n from ${t}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

const dir = mkdtempSync(join(tmpdir(), "crucible-store-proc-"));
let server: PostgresServer | undefined;
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([
  { name: "SQLite file", url: (tag: string) => Promise.resolve(join(dir, `${tag}.db`)) },
  {
    name: "PostgreSQL",
    url: async () => {
      server ??= await startPostgres();
      return server.createDatabase();
    },
  },
])("the store on $name across processes", ({ url: makeUrl }) => {
  it("should keep every write of several processes writing at once (and migrating a fresh database at once)", async () => {
    const url = await makeUrl("concurrent");
    const WRITERS = 4;
    const EACH = 30;
    const script = (w: number) => `
      import { openToolStore } from ${JSON.stringify(OPEN)};
      import { sampleSpec, sampleRecord } from ${JSON.stringify(DATA)};
      const store = await openToolStore(${JSON.stringify(url)});
      let shared = null;
      let uses = 0;
      for (let i = 0; i < ${EACH}; i++) {
        await store.put(sampleSpec("w${w}_" + i), sampleRecord());
        shared ??= await store.get("shared");
        if (shared) {
          await store.recordUsage(shared.hash, { ok: true, ms: 1 });
          uses++;
        }
        else await store.put(sampleSpec("shared"), sampleRecord()); // every writer races to admit the same tool
      }
      await store.close();
      process.stdout.write("uses=" + uses + "\\n");
    `;
    const results = await Promise.all(Array.from({ length: WRITERS }, (_, w) => runChild(script(w))));
    for (const r of results) {
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    }
    const store = await openToolStore(url);
    try {
      const tools = await store.list({ limit: 10_000 });
      expect(tools.length).toBe(WRITERS * EACH + 1);
      const shared = (await store.get("shared"))!;
      const usage = (await store.usage(shared.hash))!;
      // Every increment of every process was counted: no lost updates.
      const uses = results.reduce((n, r) => n + Number(/uses=(\d+)/u.exec(r.stdout)?.[1] ?? NaN), 0);
      expect(uses).toBeGreaterThan(WRITERS * (EACH - 2));
      expect(usage.calls).toBe(uses);
      expect((await store.search("w3_7")).length).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });

  it("should leave no trace of a tool whose admitting process was killed inside the transaction", async () => {
    const url = await makeUrl("crash");
    const before = await openToolStore(url);
    await before.put(sampleSpec("survivor"), sampleRecord());
    await before.close();
    const script = `
      import { openToolStore } from ${JSON.stringify(OPEN)};
      import { sampleSpec, sampleRecord } from ${JSON.stringify(DATA)};
      const store = await openToolStore(${JSON.stringify(url)}, {
        hooks: { insideAdmission: () => { process.stdout.write("inside\\n"); return new Promise(() => setInterval(() => {}, 1000)); } },
      });
      await store.put(sampleSpec("victim", "1.0.0", { description: "Half written when its process died." }), sampleRecord());
      process.stdout.write("committed\\n");
    `;
    const result = await runChild(script, (line, kill) => {
      if (line === "inside") kill();
    });
    expect(result.signal).toBe("SIGKILL");
    expect(result.stdout).toBe("inside\n");

    const counts = await rowCounts(url);
    expect(Object.values(counts).filter((n) => n !== 0 && n !== 1)).toStrictEqual([]);
    expect(counts["tools"]).toBe(1);
    expect(counts["verifications"]).toBe(1);
    const store = await openToolStore(url);
    try {
      expect(await store.get("victim", { allowFlagged: true })).toBeNull();
      expect(await store.search("half written died", { status: "any", allVersions: true })).toStrictEqual([]);
      // The lock died with the process: the same tool can be admitted now.
      expect((await store.put(sampleSpec("victim", "1.0.0", { description: "Half written when its process died." }), sampleRecord())).created).toBe(true);
      expect((await store.list()).map((t) => t.name)).toStrictEqual(["survivor", "victim"]);
    } finally {
      await store.close();
    }
  });
});
