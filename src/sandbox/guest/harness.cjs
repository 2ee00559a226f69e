/**
 * The JavaScript harness that runs inside the sandbox, as PID 1 of its pid namespace. The host
 * pre-spawns it; it reports ready and waits for one request on fd 3 before any guest code exists,
 * so the cost of starting Node is paid ahead of time. `run` executes one program as an ES module
 * and exits; `open` loads code once as a classic script (so its top-level functions can be called
 * by name) and then answers `call`s on fd 3 until the host closes it. Replies go to fd 4 as
 * length-prefixed JSON frames. TypeScript arrives here already stripped of its types by the host,
 * so no run pays for loading the stripper. Plain CommonJS for the same reason: a run starts no ES
 * module loader unless its own program is an ES module.
 *
 * The verdict (exit status, times, memory, limits) is decided by the host from outside; what this
 * harness reports is only what the guest produced: a returned value or an exception.
 */
"use strict";
const { closeSync, readdirSync, readFileSync, readSync, writeFileSync, writeSync } = require("node:fs");
const { Socket } = require("node:net");
const { createRequire } = require("node:module");
const { pathToFileURL } = require("node:url");
const { compileFunction, runInThisContext } = require("node:vm");

// The codec is an ES module shared with the host; only sessions need it, so runs never pay for
// loading it.
let decode;
let encode;

const REQUEST_FD = 3;
const REPLY_FD = 4;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function readExact(n) {
  const buf = Buffer.alloc(n);
  let off = 0;
  while (off < n) {
    let got;
    try {
      got = readSync(REQUEST_FD, buf, off, n - off, null);
    } catch (error) {
      if (error.code === "EAGAIN") continue;
      throw error;
    }
    if (got === 0) return null;
    off += got;
  }
  return buf;
}

function readFrame() {
  const head = readExact(4);
  if (!head) return null;
  const body = readExact(head.readUInt32BE(0));
  return body ? JSON.parse(body.toString("utf8")) : null;
}

function writeFrame(value) {
  const body = Buffer.from(JSON.stringify(value), "utf8");
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length, 0);
  const data = Buffer.concat([head, body]);
  let off = 0;
  while (off < data.length) off += writeSync(REPLY_FD, data, off);
}

function exceptionOf(error) {
  if (error instanceof Error) {
    return { type: error.name, message: String(error.message), traceback: String(error.stack ?? "").slice(-20_000) };
  }
  let message;
  try {
    message = String(error);
  } catch {
    message = "<unprintable>";
  }
  return { type: "Thrown", message, traceback: "" };
}

let reported = false;
function reportFatal(error) {
  if (!reported) {
    reported = true;
    try {
      writeFrame({ exception: exceptionOf(error) });
    } catch {
      // the host still sees the exit status
    }
  }
  try {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? String(error)) : String(error)}\n`);
  } catch {
    // nothing more to do
  }
  process.exit(1);
}

/**
 * Runs the program as a CommonJS module when it compiles as one (no ES module loader to start: the
 * common case, and ~10 ms cheaper), and as an ES module otherwise (`import`/`export`, top-level
 * `await`).
 */
async function runProgram(req) {
  const code = req.code ?? "";
  const cjs = "/tmp/main.js";
  let body;
  try {
    body = compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], { filename: cjs });
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  if (body) {
    process.argv = [process.argv[0] ?? "node", cjs, ...(req.argv ?? [])];
    const module = { exports: {}, id: ".", filename: cjs, loaded: false };
    body.call(module.exports, module.exports, createRequire(cjs), module, cjs, "/tmp");
    return;
  }
  const file = "/tmp/main.mjs";
  writeFileSync(file, code);
  process.argv = [process.argv[0] ?? "node", file, ...(req.argv ?? [])];
  globalThis.require = createRequire(file);
  await import(pathToFileURL(file).href);
}

async function serveSession(first) {
  ({ decode, encode } = await import("./codec.mjs"));
  globalThis.require = createRequire("/tmp/main.js");
  try {
    runInThisContext(first.code ?? "", { filename: first.filename ?? "main.js" });
  } catch (error) {
    writeFrame({ exception: exceptionOf(error) });
    process.exit(1);
  }
  writeFrame({ loaded: true });
  // A socket over the pipe (epoll), not an fs stream: an fs stream reads in a thread-pool thread
  // blocked in read(2), and process.exit() from guest code would wait for that thread for ever.
  const input = new Socket({ fd: REQUEST_FD, readable: true, writable: false });
  let buf = Buffer.alloc(0);
  let queue = Promise.resolve();
  input.on("data", (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
      const n = buf.readUInt32BE(0);
      const req = JSON.parse(buf.subarray(4, 4 + n).toString("utf8"));
      buf = buf.subarray(4 + n);
      queue = queue.then(() => answer(req));
    }
  });
  input.on("end", () => process.exit(0));
}

async function answer(req) {
  try {
    if (typeof req.exec === "string") {
      runInThisContext(req.exec, { filename: "cell" });
      writeFrame({ value: null });
      return;
    }
    const entry = req.entry ?? "";
    if (!IDENTIFIER.test(entry)) throw new TypeError(`${JSON.stringify(entry)} is not an identifier`);
    let fn;
    try {
      // Evaluating the bare identifier finds top-level functions, classes, const and let alike.
      fn = runInThisContext(entry);
    } catch {
      fn = undefined;
    }
    if (typeof fn !== "function") throw new ReferenceError(`no function named ${entry} was defined by the loaded code`);
    const args = Array.isArray(req.args) ? decode(req.args) : [];
    const t0 = process.hrtime.bigint();
    const value = await fn(...args);
    const callNs = Number(process.hrtime.bigint() - t0);
    writeFrame({ value: encode(value), callNs });
  } catch (error) {
    writeFrame({ exception: exceptionOf(error) });
  }
}

/**
 * Closes descriptors the sandbox inherited from whatever started the host (a shell, a CI runner):
 * Node and libuv open everything close-on-exec, so a descriptor above the channel without
 * O_CLOEXEC came from outside.
 */
function closeInheritedDescriptors() {
  for (const name of readdirSync("/proc/self/fd")) {
    const fd = Number(name);
    if (fd <= REPLY_FD) continue;
    let flags;
    try {
      flags = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1];
    } catch {
      continue;
    }
    if (flags !== undefined && (parseInt(flags, 8) & 0o2000000) === 0) {
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  }
}

async function main() {
  closeInheritedDescriptors();
  // stdout and stderr are sockets to the host; blocking writes let a flood reach the host's cap
  // instead of queueing in the guest until its own writev fails.
  process.stdout._handle?.setBlocking?.(true);
  process.stderr._handle?.setBlocking?.(true);
  writeFrame({ ready: true, node: process.versions.node });
  const req = readFrame();
  if (!req) process.exit(0);
  process.chdir("/tmp");
  process.on("uncaughtException", reportFatal);
  process.on("unhandledRejection", reportFatal);
  if (req.op === "run") {
    await runProgram(req);
  } else if (req.op === "open") {
    await serveSession(req);
  } else {
    writeFrame({ exception: { type: "ProtocolError", message: `unknown op ${req.op}`, traceback: "" } });
    process.exit(2);
  }
}

main().catch(reportFatal);
