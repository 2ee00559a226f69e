/**
 * Runs a property's predicate on an input and the candidate's output, inside a JavaScript sandbox
 * session: the twin of judge.py for predicates written in JavaScript or TypeScript.
 *
 * Executed as a cell in the session that loaded the property code, never in the candidate's
 * process: the candidate reaches this code only through its output, which arrives as data. Answers
 * [verdict, message, exception-or-null] where verdict is "pass", "false", "assertion" or
 * "predicate_error".
 */
/* global require */
/* eslint-disable @typescript-eslint/no-require-imports -- guest code: the session harness provides require */
"use strict";

/** The function a top-level name of the loaded code holds (function, const or let), or undefined. */
function __crucibleLookup(name) {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) return undefined;
  try {
    const fn = require("node:vm").runInThisContext(`typeof ${name} === "function" ? ${name} : undefined`);
    return typeof fn === "function" ? fn : undefined;
  } catch {
    return undefined;
  }
}

function __crucibleDescribe(error) {
  const isError = error instanceof Error;
  return {
    type: isError ? error.name : typeof error,
    message: String(isError ? error.message : error).slice(0, 2000),
    traceback: String(isError ? (error.stack ?? error.message) : error).slice(-4000),
  };
}

function __crucibleShort(value) {
  let text;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length <= 200 ? text : `${text.slice(0, 200)}...`;
}

async function __crucible_judge__(name, args, result) {
  const fn = __crucibleLookup(name);
  if (fn === undefined) throw new ReferenceError(`the property code defines no function ${name}`);
  let out;
  try {
    out = await fn(...args, result);
  } catch (error) {
    const described = __crucibleDescribe(error);
    if (error instanceof Error && (error.name === "AssertionError" || error.code === "ERR_ASSERTION")) {
      return ["assertion", error.message || "assertion failed", described];
    }
    return ["predicate_error", `${described.type}: ${described.message}`, described];
  }
  if (out === undefined || out === true || out) return ["pass", "", null];
  return ["false", `${name} returned ${__crucibleShort(out)}`, null];
}

async function __crucible_pre__(args) {
  const fn = __crucibleLookup("pre");
  return fn === undefined ? true : Boolean(await fn(...args));
}

function __crucible_has_pre__() {
  return __crucibleLookup("pre") !== undefined;
}

function __crucible_defines__(name) {
  return __crucibleLookup(name) !== undefined;
}

/** Judges many [args, result] cases in one call (the host falls back to one call each on a timeout). */
async function __crucible_judge_many__(name, cases) {
  const out = [];
  for (const [args, result] of cases) out.push(await __crucible_judge__(name, args, result));
  return out;
}
