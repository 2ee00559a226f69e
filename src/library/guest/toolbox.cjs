/**
 * Trusted guest code that hosts library tools inside one sandboxed JavaScript session (TypeScript
 * tools arrive already stripped of their types by the host). The twin of toolbox.py: the host
 * appends one `__crucible_install(...)` line holding the tool and the closure of the tools it
 * calls, so a restarted session loads them all again by itself.
 *
 * Each tool's source is compiled as the body of its own function, so its top-level names stay its
 * own; the tools it depends on are that function's parameters (bare names, shadowed by the tool's
 * own declarations) and the fields of `tools`. A tool that fails to compile or load is remembered
 * with its error; only calls that need it fail.
 */
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- guest code: the session harness provides require */
"use strict";

const __crucibleTools = new Map(); // key (hash) -> entry function
const __crucibleLoadErrors = new Map(); // key -> error thrown while loading
const __crucibleIdentifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function __crucibleLoad(tool) {
  if (!__crucibleIdentifier.test(tool.entry)) throw new SyntaxError(`${JSON.stringify(tool.entry)} is not an identifier`);
  const names = Object.keys(tool.deps);
  const missing = names.filter((n) => !__crucibleTools.has(tool.deps[n]));
  if (missing.length > 0) throw new Error(`tool ${tool.name}: dependencies did not load: ${missing.join(", ")}`);
  const tools = Object.freeze(Object.fromEntries(names.map((n) => [n, __crucibleTools.get(tool.deps[n])])));
  // Bare names only for names that are identifiers (tool names may hold "-" and ".").
  const bare = names.filter((n) => __crucibleIdentifier.test(n) && n !== "tools");
  const values = [tools, ...bare.map((n) => tools[n])];
  const factory = require("node:vm").runInThisContext(
    `(function (tools${bare.map((n) => `, ${n}`).join("")}) {\n${tool.source}\n;return typeof ${tool.entry} === "function" ? ${tool.entry} : undefined;\n})`,
    { filename: `tool ${tool.name}` },
  );
  const fn = factory(...values);
  if (typeof fn !== "function") throw new ReferenceError(`tool ${tool.name} defines no function named ${tool.entry}`);
  __crucibleTools.set(tool.key, fn);
}

function __crucible_install(bundleJson) {
  for (const tool of JSON.parse(bundleJson)) {
    if (__crucibleTools.has(tool.key)) continue;
    try {
      __crucibleLoad(tool);
    } catch (error) {
      __crucibleLoadErrors.set(tool.key, error);
    }
  }
}

function __crucibleEntry(key) {
  const fn = __crucibleTools.get(key);
  if (fn) return fn;
  const error = __crucibleLoadErrors.get(key);
  if (error !== undefined) throw error;
  throw new Error(`tool ${key} was not installed in this session`);
}

function __crucible_loaded(key) {
  __crucibleEntry(key);
  return null;
}

/** Calls a tool's entry (arguments positional, in the order of its input schema's properties). */
async function __crucible_call(key, args) {
  return await __crucibleEntry(key)(...args);
}


function __crucible_runtime() {
  return { node: process.version };
}
