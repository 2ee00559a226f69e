import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { CrucibleError } from "../../errors.ts";
import { contentHashes } from "./files.ts";
import { cacheDataset, NAMED_DATASETS, namedDataset, resolveDataset, type NamedDataset } from "./resolve.ts";

const DATA = fileURLToPath(new URL("../../../../shared/datasets/", import.meta.url));
const HUMANEVAL_GZ = readFileSync(DATA + "humaneval/HumanEval.jsonl.gz");

async function rejection(promise: Promise<unknown>): Promise<CrucibleError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CrucibleError);
    return error as CrucibleError;
  }
  throw new Error("expected a CrucibleError, but the promise resolved");
}

/** A real HTTP server on 127.0.0.1 answering every request with `reply`. */
async function serve(reply: { status?: number; body: Uint8Array | string }): Promise<{ server: Server; port: number; hits: () => number }> {
  let count = 0;
  const server = createServer((_req, res) => {
    count++;
    res.writeHead(reply.status ?? 200, { "content-type": "application/octet-stream" });
    res.end(reply.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, hits: () => count };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** A fetch that records the URL asked for and always goes to 127.0.0.1:port, never anywhere else. */
function loopbackFetch(port: number, asked: string[]): typeof fetch {
  return (input: string | URL | Request, init?: RequestInit) => {
    asked.push(input instanceof Request ? input.url : String(input));
    return fetch(`http://127.0.0.1:${port}/dataset`, init);
  };
}

describe("NAMED_DATASETS", () => {
  it("should pin each name to the content of the copy in ../shared/datasets", () => {
    const shared: Record<string, string> = {
      humaneval: "humaneval/HumanEval.jsonl.gz",
      "humaneval+": "humanevalplus/HumanEvalPlus-v0.1.10.jsonl.gz",
      "humaneval+@v0.1.9": "humanevalplus/HumanEvalPlus-v0.1.9.jsonl.gz",
      "humaneval+-mini": "humanevalplus/HumanEvalPlus-Mini.jsonl.gz",
      "mbpp+": "mbppplus/MbppPlus.jsonl.gz",
      "humaneval-pro": "humaneval-pro/humaneval_pro.json.gz",
      "mbpp-pro": "humaneval-pro/mbpp_pro.json.gz",
    };
    expect(NAMED_DATASETS.map((d) => d.name).sort()).toStrictEqual(Object.keys(shared).sort());
    for (const [name, file] of Object.entries(shared)) {
      expect(namedDataset(name)?.sha256, name).toBe(contentHashes(gunzipSync(readFileSync(DATA + file))).sha256);
    }
  });

  it("should know the aliases, in any case", () => {
    expect(namedDataset("HumanEval+@v0.1.10")?.name).toBe("humaneval+");
    expect(namedDataset("mbpp+@v0.2.0")?.name).toBe("mbpp+");
    expect(namedDataset("humaneval++")).toBeUndefined();
  });
});

describe("resolveDataset", () => {
  let cacheDir: string;
  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), "crucible-cache-"));
  });
  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  describe("against a real server", () => {
    const servers: Server[] = [];
    afterAll(async () => {
      await Promise.all(servers.map(close));
    });

    it("should download a named dataset on first use, check it, cache it, and read the cache after", async () => {
      const { server, port, hits } = await serve({ body: HUMANEVAL_GZ });
      servers.push(server);
      const asked: string[] = [];
      const options = { cacheDir, fetch: loopbackFetch(port, asked) };
      const first = await resolveDataset("humaneval", options);
      expect(first.kind).toBe("humaneval");
      expect(first.name).toBe("humaneval");
      expect(first.tasks).toHaveLength(164);
      expect(first.sha256).toBe(namedDataset("humaneval")?.sha256);
      expect(first.path).toBe(join(cacheDir, "HumanEval.jsonl.gz"));
      expect(asked).toStrictEqual([namedDataset("humaneval")?.url]);
      expect(readFileSync(first.path).equals(HUMANEVAL_GZ)).toBe(true);
      expect(await readdir(cacheDir)).toStrictEqual(["HumanEval.jsonl.gz"]);
      const second = await resolveDataset("humaneval", options);
      expect(second.tasks).toHaveLength(164);
      expect(hits()).toBe(1);
    });

    it("should refuse bytes that do not match the pin and cache nothing", async () => {
      const { server, port } = await serve({ body: '{"task_id": "evil/0"}\n' });
      servers.push(server);
      const error = await rejection(resolveDataset("humaneval", { cacheDir, fetch: loopbackFetch(port, []) }));
      expect(error.code).toBe("invalid_argument");
      expect(error.details).toMatchObject({ reason: "checksum_mismatch", expectedSha256: namedDataset("humaneval")?.sha256 });
      expect(error.message).toContain("is not the pinned one");
      expect(error.message).toContain(`place it at ${join(cacheDir, "HumanEval.jsonl.gz")}`);
      expect(await readdir(cacheDir)).toStrictEqual([]);
    });

    it("should report an HTTP error status with how to supply the file", async () => {
      const { server, port } = await serve({ status: 404, body: "Not Found" });
      servers.push(server);
      const error = await rejection(resolveDataset("mbpp+", { cacheDir, fetch: loopbackFetch(port, []) }));
      expect(error.details).toMatchObject({ reason: "http_status", status: 404 });
      expect(error.message).toContain("answered HTTP 404");
      expect(error.message).toContain("--dataset <file>");
    });

    it("should refuse a download larger than the limit", async () => {
      const { server, port } = await serve({ body: HUMANEVAL_GZ });
      servers.push(server);
      const error = await rejection(resolveDataset("humaneval", { cacheDir, fetch: loopbackFetch(port, []), maxDownloadBytes: 1000 }));
      expect(error.details).toMatchObject({ reason: "too_large" });
      expect(await readdir(cacheDir)).toStrictEqual([]);
    });

    it("should fetch a spec's own URL when given one (a plain JSON file served from 127.0.0.1)", async () => {
      const json = gunzipSync(readFileSync(DATA + "humaneval-pro/mbpp_pro.json.gz"));
      const { server, port } = await serve({ body: json });
      servers.push(server);
      const base = namedDataset("mbpp-pro") as NamedDataset;
      const spec: NamedDataset = { ...base, url: `http://127.0.0.1:${port}/mbpp_pro.json` };
      const path = await cacheDataset(spec, { cacheDir });
      expect(path).toBe(join(cacheDir, "mbpp_pro.json"));
      expect(readFileSync(path).equals(json)).toBe(true);
    });
  });

  it("should say how to work offline when the server cannot be reached", async () => {
    const { server, port } = await serve({ body: "" });
    await close(server); // nothing listens on this port any more
    const error = await rejection(resolveDataset("humaneval+", { cacheDir, fetch: loopbackFetch(port, []) }));
    expect(error.code).toBe("invalid_argument");
    expect(error.details).toMatchObject({ reason: "offline", name: "humaneval+" });
    const target = join(cacheDir, "HumanEvalPlus-v0.1.10.jsonl.gz");
    expect(error.message).toBe(
      `could not download humaneval+ from ${namedDataset("humaneval+")?.url} (ECONNREFUSED). Working offline? Pass its path with --dataset <file>, or place it at ${target} (content sha256 ${namedDataset("humaneval+")?.sha256}).`,
    );
  });

  it("should use a file placed in the cache by hand, gzipped or not", async () => {
    const plain = gunzipSync(HUMANEVAL_GZ);
    await writeFile(join(cacheDir, "HumanEval.jsonl.gz"), plain);
    const failingFetch = (() => Promise.reject(new Error("must not download"))) as typeof fetch;
    const dataset = await resolveDataset("humaneval", { cacheDir, fetch: failingFetch });
    expect(dataset.tasks).toHaveLength(164);
  });

  it("should refuse a cached file that does not match the pin, saying how to fix it", async () => {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(join(cacheDir, "HumanEval.jsonl.gz"), readFileSync(DATA + "humaneval/example_problem.jsonl"));
    const error = await rejection(resolveDataset("humaneval", { cacheDir }));
    expect(error.details).toMatchObject({ reason: "checksum_mismatch" });
    expect(error.message).toContain("does not hold humaneval");
    expect(error.message).toContain("Delete it to download it again");
  });

  it("should load a path directly, without the cache", async () => {
    const dataset = await resolveDataset(DATA + "humaneval/example_problem.jsonl", { cacheDir });
    expect(dataset.name).toBe("example_problem.jsonl");
    expect(await readdir(cacheDir)).toStrictEqual([]);
  });

  it("should list the known names for an unknown one", async () => {
    const error = await rejection(resolveDataset("humaneval-x", { cacheDir }));
    expect(error.message).toContain('unknown dataset "humaneval-x": known names are humaneval, humaneval+, humaneval+@v0.1.10');
    expect(error.message).toContain("or pass the path of a dataset file");
  });

  it("should stop when its signal has fired", async () => {
    const error = await rejection(resolveDataset("humaneval", { cacheDir, signal: AbortSignal.abort() }));
    expect(error.code).toBe("aborted");
  });
});
