// `crucible tools …`: the tool library from the command line. list, search, show, remove, export
// and import live here; add and verify (they run the verification gate) are registered from
// tools-admit.ts. Every subcommand takes --db (or CRUCIBLE_LIBRARY) and --json.
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { once } from "node:events";
import { InvalidArgumentError, Option, type Command } from "commander";
import { CrucibleError } from "../errors.ts";
import { bundleLine, parseBundle } from "../library/store/bundle.ts";
import { openToolStore } from "../library/store/open.ts";
import type { SearchHit, ToolStore, ToolSummary } from "../library/store/store.ts";
import { TOOL_LANGUAGES, TOOL_STATUSES, type Tool } from "../library/tool.ts";
import { escapeForTerminal } from "./render.ts";
// tools-admit.ts imports libraryLocation from here; the cycle is safe: each side only calls the
// other's functions after both modules have loaded.
import { registerToolsAdmit } from "./tools-admit.ts";

/** Environment variable naming the library (a file path or a postgres:// URL). */
export const LIBRARY_ENV = "CRUCIBLE_LIBRARY";

/**
 * Where the library is: `--db`, else `$CRUCIBLE_LIBRARY`, else `$XDG_DATA_HOME/crucible/library.db`,
 * else `~/.local/share/crucible/library.db` (a relative XDG_DATA_HOME is ignored, as XDG says).
 */
export function libraryLocation(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given !== undefined && given !== "") return given;
  const fromEnv = env[LIBRARY_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const xdg = env["XDG_DATA_HOME"];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), ".local", "share"), "crucible", "library.db");
}

/** The options every `tools` subcommand shares, read from the subcommand and the group. */
export interface ToolsCommonOptions {
  readonly db?: string;
  readonly json?: boolean;
}

/** Opens the library a `tools` subcommand names; callers close it. */
export async function openLibraryStore(command: Command): Promise<ToolStore> {
  const opts = command.optsWithGlobals<ToolsCommonOptions>();
  return openToolStore(libraryLocation(opts.db));
}

async function withStore<T>(command: Command, fn: (store: ToolStore, opts: ToolsCommonOptions) => Promise<T>): Promise<T> {
  const store = await openLibraryStore(command);
  try {
    return await fn(store, command.optsWithGlobals<ToolsCommonOptions>());
  } finally {
    await store.close();
  }
}

function positiveInt(what: string, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/u.test(text.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${what} must be a whole number from 1 to ${max}.`);
    return n;
  };
}

const tty = (text: string) => (process.stdout.isTTY ? escapeForTerminal(text) : text);
const out = (text: string) => process.stdout.write(`${text}\n`);
const json = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** A plain table: columns padded to their widest cell, the last one cut to the terminal width. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], width = process.stdout.columns ?? Number.POSITIVE_INFINITY): string {
  const clean = rows.map((r) => r.map((c) => c.replace(/\s+/gu, " ")));
  const widths = headers.map((h, i) => Math.max(h.length, ...clean.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => {
    const text = cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
    return text.length > width ? `${text.slice(0, Math.max(width - 1, 20))}…` : text;
  };
  return [line(headers), ...clean.map(line)].join("\n");
}

function summaryRows(tools: readonly ToolSummary[]): string[][] {
  return tools.map((t) => [`${t.name}@${t.version}`, t.status, t.language, t.signature, t.hash.slice(0, 12), t.description]);
}
const SUMMARY_HEADERS = ["TOOL", "STATUS", "LANGUAGE", "SIGNATURE", "HASH", "DESCRIPTION"];

function showTool(tool: Tool, withSource: boolean): string {
  const v = tool.verification;
  const lines = [
    `${tool.name}@${tool.version}  (${tool.status}, ${tool.language})`,
    `hash        ${tool.hash}`,
    `entry point ${tool.entryPoint}`,
    `created     ${tool.createdAt}`,
    `description ${tool.description}`,
    `input       ${JSON.stringify(tool.inputSchema)}`,
    `output      ${JSON.stringify(tool.outputSchema)}`,
    `examples    ${tool.examples.length}, tests ${tool.tests.length}, properties ${tool.properties.length}, dependencies ${tool.dependencies.length}`,
    `provenance  ${[tool.provenance.task && `task ${tool.provenance.task}`, tool.provenance.model && `model ${tool.provenance.model}`, tool.provenance.parents && `parents ${tool.provenance.parents.map((p) => p.slice(0, 12)).join(", ")}`].filter(Boolean).join("; ") || "none"}`,
    `verified    ${v.status} at ${v.checkedAt}${v.seed === undefined ? "" : `, seed ${v.seed}`}${v.reason ? `: ${v.reason}` : ""}`,
    `runtime     ${Object.entries(v.runtime).map(([k, x]) => `${k} ${x}`).join(", ") || "unknown"}`,
    ...v.checks.map((c) => `  ${c.status.padEnd(7)} ${c.kind} ${c.name}${c.seed === undefined ? "" : ` (seed ${c.seed})`}${c.detail ? `: ${c.detail}` : ""}`),
  ];
  if (withSource) lines.push("", tool.source.trimEnd());
  return lines.join("\n");
}

const statusOption = () => new Option("--status <status>", "verified, flagged or any").choices([...TOOL_STATUSES, "any"]);
const languageOption = () => new Option("--language <language>", "only tools in this language").choices([...TOOL_LANGUAGES]);

/**
 * Registers `crucible tools`. Exit codes: 0 done, 1 the named tool does not exist, 2 bad input
 * (a bad bundle, a bad query, a storage error).
 */
export function registerTools(cli: Command): Command {
  const tools = cli
    .command("tools")
    .description("the library of verified tools: add, verify, list, search, show, remove, export, import")
    .option("--db <path-or-url>", `the library: a SQLite file or a postgres:// URL (default: $${LIBRARY_ENV}, else ~/.local/share/crucible/library.db)`)
    .option("--json", "print JSON on stdout");

  tools
    .command("list")
    .description("list each tool's latest version (or every version)")
    .option("--all-versions", "every version, not only the latest")
    .option("--name <name>", "only this tool (all its versions)")
    .addOption(statusOption())
    .addOption(languageOption())
    .option("--limit <n>", "at most this many", positiveInt("--limit"), 1000)
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "print JSON on stdout")
    .action(async (opts: { allVersions?: boolean; name?: string; status?: "verified" | "flagged" | "any"; language?: "python" | "typescript"; limit: number }, command: Command) => {
      await withStore(command, async (store, common) => {
        const list = await store.list({
          limit: opts.limit,
          ...(opts.allVersions ? { allVersions: true } : {}),
          ...(opts.name === undefined ? {} : { name: opts.name }),
          ...(opts.status === undefined ? {} : { status: opts.status }),
          ...(opts.language === undefined ? {} : { language: opts.language }),
        });
        if (common.json) return json(list);
        if (list.length === 0) return out("the library holds no tools yet (add one with `crucible tools add`)");
        out(tty(renderTable(SUMMARY_HEADERS, summaryRows(list))));
      });
    });

  tools
    .command("search")
    .description("full-text search over names, descriptions, docstrings and solved tasks; a signature like '(list[int]) -> int' matches types")
    .argument("<query...>", "words and/or a signature")
    .option("--limit <n>", "at most this many hits (1-200)", positiveInt("--limit", 200), 10)
    .addOption(statusOption().default("verified"))
    .addOption(languageOption())
    .option("--all-versions", "search every version, not only each tool's latest")
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "print JSON on stdout")
    .action(async (words: string[], opts: { limit: number; status: "verified" | "flagged" | "any"; language?: "python" | "typescript"; allVersions?: boolean }, command: Command) => {
      await withStore(command, async (store, common) => {
        const hits: SearchHit[] = await store.search(words.join(" "), {
          limit: opts.limit,
          status: opts.status,
          ...(opts.language === undefined ? {} : { language: opts.language }),
          ...(opts.allVersions ? { allVersions: true } : {}),
        });
        if (common.json) return json(hits);
        if (hits.length === 0) return out("no tools match");
        const rows = hits.map((h) => [...summaryRows([h.tool])[0]!.slice(0, 5), [h.matched.text ? "text" : "", h.matched.signature ?? ""].filter(Boolean).join("+"), h.tool.description]);
        out(tty(renderTable([...SUMMARY_HEADERS.slice(0, 5), "MATCH", "DESCRIPTION"], rows)));
      });
    });

  tools
    .command("show")
    .description("show one tool: spec, verification record, usage")
    .argument("<tool>", "name (its latest verified version), name@version, or a hash (prefix)")
    .option("--source", "print the source too")
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "print JSON on stdout (the whole tool, its records and usage)")
    .action(async (ref: string, opts: { source?: boolean }, command: Command) => {
      await withStore(command, async (store, common) => {
        const tool = await store.get(ref, { allowFlagged: true });
        if (tool === null) return notFound(ref);
        const usage = await store.usage(tool.hash);
        if (common.json) return json({ ...tool, verifications: await store.verifications(tool.hash), usage });
        out(tty(showTool(tool, opts.source === true)));
        if (usage !== null) out(`usage       ${usage.calls} calls, ${usage.failures} failed${usage.calls > 0 ? `, ${(usage.totalMs / usage.calls).toFixed(1)} ms mean, last ${usage.lastUsedAt}` : ""}`);
      });
    });

  tools
    .command("remove")
    .description("remove a tool: name (every version), name@version, or a hash")
    .argument("<tool>", "what to remove")
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "print JSON on stdout")
    .action(async (ref: string, _opts: object, command: Command) => {
      await withStore(command, async (store, common) => {
        const removed = await store.remove(ref);
        if (common.json) json(removed);
        if (removed.length === 0) return notFound(ref, common.json === true);
        if (!common.json) for (const t of removed) out(tty(`removed ${t.name}@${t.version} (${t.hash.slice(0, 12)})`));
      });
    });

  tools
    .command("export")
    .description("write every tool with its verification history as JSON lines")
    .argument("[file]", "where to write (default: standard output)")
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "when writing to a file, print a JSON summary on stdout")
    .action(async (file: string | undefined, _opts: object, command: Command) => {
      await withStore(command, async (store, common) => {
        const sink = file === undefined || file === "-" ? process.stdout : createWriteStream(file);
        let count = 0;
        for await (const entry of store.exportTools()) {
          if (!sink.write(`${bundleLine(entry)}\n`)) await once(sink, "drain");
          count++;
        }
        if (sink !== process.stdout) {
          await new Promise<void>((resolve, reject) => (sink as NodeJS.WritableStream).end((error?: Error | null) => (error ? reject(error) : resolve())));
          if (common.json) json({ exported: count, file });
          else out(`exported ${count} tool(s) to ${tty(file!)}`);
        }
      });
    });

  tools
    .command("import")
    .description("import a bundle written by `crucible tools export`; every hash is checked and nothing is written unless all entries are sound")
    .argument("<file>", "the bundle, or - for standard input")
    .option("--db <path-or-url>", "the library (as for `crucible tools`)")
    .option("--json", "print JSON on stdout")
    .action(async (file: string, _opts: object, command: Command) => {
      const text = await readBundle(file);
      const entries = parseBundle(text, file === "-" ? "standard input" : file);
      await withStore(command, async (store, common) => {
        const report = await store.importTools(entries);
        if (common.json) return json(report);
        out(`imported ${report.added} tool(s); ${report.skipped} already in the library`);
      });
    });

  registerToolsAdmit(tools);
  return tools;
}

function notFound(ref: string, quiet = false): void {
  if (!quiet) process.stderr.write(`crucible: no tool matches ${escapeForTerminal(JSON.stringify(ref))}; \`crucible tools list\` shows what the library holds\n`);
  process.exitCode = 1;
}

async function readBundle(file: string): Promise<string> {
  if (file !== "-" && !existsSync(file)) throw new CrucibleError("invalid_argument", `no such file: ${file}`);
  const chunks: Buffer[] = [];
  try {
    for await (const c of file === "-" ? process.stdin : createReadStream(file)) chunks.push(Buffer.from(c as Buffer));
  } catch (cause) {
    throw new CrucibleError("invalid_argument", `cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
  return Buffer.concat(chunks).toString("utf8");
}
