import { CrucibleError, isCrucibleError } from "../../errors.ts";
import type { Wire } from "../../sandbox/guest/codec.mjs";
import type { IOOracle } from "./types.ts";
import { pyComplex, pyFloat, pySet, pyTuple } from "./python-values.ts";

/*
 * MBPP+ stores tuples, sets and complex numbers as JSON lists and strings; EvalPlus rebuilds them
 * by task number after loading (`mbpp_deserialize_inputs` in `evalplus/data/mbpp.py`, unchanged
 * from v0.1.0 through v0.3.1). The canonical solutions produced the expected outputs from the
 * rebuilt values, so a grader must call candidates with the same ones. The lists below are
 * EvalPlus's, whole: some numbers (143, 399, 400, 401, 417, 438, 444, 617, 115, 307) are not in
 * MBPP+ v0.2.0 and simply never match there.
 */
const EACH_ARG_TUPLE = new Set([2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809]);
const EACH_ARG_LIST_OF_TUPLES = new Set([63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780]);
const FIRST_LIST_OF_TUPLES_THEN_SECOND = new Set([75, 413, 444, 753]);
const FIRST_THEN_SECOND_TUPLE = new Set([106, 750]);
const FIRST_TUPLE_THEN_SECOND = new Set([250, 405, 446, 617, 720, 763, 808]);
const EACH_ARG_TUPLE_OF_TUPLES = new Set([259, 401, 445]);
const ALL_LISTS_TUPLES = new Set([580, 615, 791]);

function at(inp: readonly Wire[], i: number): Wire {
  // Python would raise IndexError; the data never needs it.
  if (i >= inp.length) throw new CrucibleError("invalid_argument", `input has no argument ${i}`);
  return inp[i] ?? null;
}

function deepTuple(w: Wire): Wire {
  return Array.isArray(w) ? { $t: "tuple", v: w.map(deepTuple) } : w;
}

function dictValuesToTuples(w: Wire): Wire {
  if (w === null || typeof w !== "object" || Array.isArray(w)) throw new CrucibleError("invalid_argument", "expected a dict");
  if (w["$t"] === "dict" && Array.isArray(w["v"])) {
    return { $t: "dict", v: w["v"].map((pair) => (Array.isArray(pair) ? [pair[0] ?? null, pyTuple(pair[1] ?? null)] : pair)) };
  }
  if (typeof w["$t"] === "string") throw new CrucibleError("invalid_argument", "expected a dict");
  const out: { [key: string]: Wire } = {};
  for (const k of Object.keys(w)) Object.defineProperty(out, k, { value: pyTuple(w[k] ?? null), enumerable: true, writable: true, configurable: true });
  return out;
}

function convert(n: number, inp: readonly Wire[]): Wire[] {
  if (EACH_ARG_TUPLE.has(n)) return inp.map(pyTuple);
  if (EACH_ARG_LIST_OF_TUPLES.has(n)) return inp.map((arg) => iterList(arg).map(pyTuple));
  if (FIRST_LIST_OF_TUPLES_THEN_SECOND.has(n)) return [iterList(at(inp, 0)).map(pyTuple), at(inp, 1)];
  if (FIRST_THEN_SECOND_TUPLE.has(n)) return [at(inp, 0), pyTuple(at(inp, 1))];
  if (n === 115) return [iterList(at(inp, 0)).map((item) => (Array.isArray(item) && item.length > 0 ? pySet(item) : {}))];
  if (n === 124) return [pyFloat(at(inp, 0)), pyComplex(at(inp, 1))];
  if (FIRST_TUPLE_THEN_SECOND.has(n)) return [pyTuple(at(inp, 0)), at(inp, 1)];
  if (EACH_ARG_TUPLE_OF_TUPLES.has(n)) return inp.map((arg) => ({ $t: "tuple", v: iterList(arg).map(pyTuple) }));
  if (n === 278) return [{ $t: "tuple", v: iterList(at(inp, 0)).map((item) => (Array.isArray(item) ? pyTuple(item) : item)) }];
  if (n === 307) return [pyTuple(at(inp, 0)), at(inp, 1), at(inp, 2)];
  if (n === 722) return [dictValuesToTuples(at(inp, 0)), ...inp.slice(1)];
  if (n === 252) return [pyComplex(at(inp, 0))];
  if (ALL_LISTS_TUPLES.has(n)) return inp.map(deepTuple);
  return [...inp];
}

/** The items of a value Python iterates in a comprehension (a list, here). */
function iterList(w: Wire): Wire[] {
  const t = pyTuple(w) as { v: Wire[] };
  return t.v;
}

/**
 * EvalPlus's `mbpp_deserialize_inputs` for one MBPP+ task: the argument lists as the canonical
 * solution was called with them. Inputs of other tasks are returned as they are. Note that some
 * conversions keep only the arguments EvalPlus keeps (`[tuple(inp[0])] + [inp[1]]` drops a third).
 *
 * @param taskId "Mbpp/124"; only the number after the last "/" counts, as in EvalPlus.
 * @throws CrucibleError `invalid_argument` naming the task and input when a value cannot be
 * converted (where Python would raise).
 */
export function mbppDeserializeInputs(taskId: string, inputs: readonly (readonly Wire[])[]): Wire[][] {
  const n = Number(taskId.split("/").at(-1));
  return inputs.map((inp, i) => {
    try {
      return convert(n, inp);
    } catch (error) {
      if (!isCrucibleError(error)) throw error;
      throw new CrucibleError("invalid_argument", `${taskId} input ${i}: ${error.message}`, { details: { taskId, input: i }, cause: error });
    }
  });
}

/** EvalPlus's MBPP+ output oracles by entry point (`MBPP_OUTPUT_SET_EQ_TASKS`, `MBPP_OUTPUT_NOT_NONE_TASKS`, `_surface_Area`, `_digit_distance_nums`). */
const MBPP_ORACLES: ReadonlyMap<string, IOOracle> = new Map<string, IOOracle>([
  ["similar_elements", "set_eq"], // Mbpp/2
  ["find_char_long", "set_eq"], // Mbpp/7
  ["common_in_nested_lists", "set_eq"], // Mbpp/111
  ["extract_singly", "set_eq"], // Mbpp/140
  ["larg_nnum", "set_eq"], // Mbpp/232
  ["intersection_array", "set_eq"], // Mbpp/249, not in v0.2.0
  ["find_dissimilar", "set_eq"], // Mbpp/579
  ["Diff", "set_eq"], // Mbpp/769
  ["check_str", "not_none"], // Mbpp/737
  ["text_match_three", "not_none"], // Mbpp/787
  ["text_starta_endb", "not_none"], // Mbpp/794
  ["surface_Area", "surface_area"], // Mbpp/581
  ["digit_distance_nums", "digit_distance"], // Mbpp/558
]);

/**
 * The special oracle EvalPlus applies to a task, if any. EvalPlus matches MBPP+ oracles by entry
 * point name and HumanEval's `find_zero` by entry point too; the families never share a name.
 */
export function oracleFor(kind: "humaneval+" | "mbpp+", entryPoint: string): IOOracle | undefined {
  if (kind === "humaneval+") return entryPoint === "find_zero" ? "find_zero" : undefined;
  return MBPP_ORACLES.get(entryPoint);
}
