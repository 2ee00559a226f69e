import { describe, expect, it } from "vitest";
import type { Wire } from "../../sandbox/guest/codec.mjs";
import { mbppDeserializeInputs, oracleFor } from "./mbpp-inputs.ts";
import { caught } from "../../../test/support/caught.ts";

const f = (v: string): Wire => ({ $t: "float", v });
const c = (re: string, im: string): Wire => ({ $t: "complex", v: [f(re), f(im)] });
const tup = (...v: Wire[]): Wire => ({ $t: "tuple", v });


describe("mbppDeserializeInputs", () => {
  it("should turn every argument into a tuple for the tuple tasks (Mbpp/2)", () => {
    expect(
      mbppDeserializeInputs("Mbpp/2", [
        [
          [3, 4],
          [5, 6],
        ],
      ]),
    ).toStrictEqual([[tup(3, 4), tup(5, 6)]]);
  });

  it("should turn each argument's items into tuples for the list-of-tuples tasks (Mbpp/63)", () => {
    expect(mbppDeserializeInputs("Mbpp/63", [[[[3, 5], [1, 7]]]])).toStrictEqual([[[tup(3, 5), tup(1, 7)]]]);
  });

  it("should keep only the arguments EvalPlus keeps (Mbpp/75: [tuples of inp[0]] + [inp[1]])", () => {
    expect(mbppDeserializeInputs("Mbpp/75", [[[[6, 24]], 6, "dropped"]])).toStrictEqual([[[tup(6, 24)], 6]]);
    expect(mbppDeserializeInputs("Mbpp/250", [[[1, 2], 3, "dropped"]])).toStrictEqual([[tup(1, 2), 3]]);
    expect(mbppDeserializeInputs("Mbpp/106", [[[1], [2, 3]]])).toStrictEqual([[[1], tup(2, 3)]]);
  });

  it("should build tuples of tuples for Mbpp/259 and Mbpp/445", () => {
    expect(mbppDeserializeInputs("Mbpp/259", [[[[1, 3]], [[6, 7]]]])).toStrictEqual([[tup(tup(1, 3)), tup(tup(6, 7))]]);
  });

  it("should tuple only the first level of Mbpp/278's first argument", () => {
    expect(mbppDeserializeInputs("Mbpp/278", [[[1, [4, [6]], 10]]])).toStrictEqual([[tup(1, tup(4, [6]), 10)]]);
  });

  it("should turn every list into a tuple, all the way down, for Mbpp/580, 615 and 791", () => {
    expect(mbppDeserializeInputs("Mbpp/580", [[[4, [7, [2, 4]], 6]]])).toStrictEqual([[tup(4, tup(7, tup(2, 4)), 6)]]);
  });

  it("should tuple the values of Mbpp/722's dict and keep its key order", () => {
    const dict: Wire = {
      $t: "dict",
      v: [
        ["b", [1, 2]],
        ["1", [3]],
      ],
    };
    expect(mbppDeserializeInputs("Mbpp/722", [[dict, 6, 70]])).toStrictEqual([
      [
        {
          $t: "dict",
          v: [
            ["b", tup(1, 2)],
            ["1", tup(3)],
          ],
        },
        6,
        70,
      ],
    ]);
    expect(mbppDeserializeInputs("Mbpp/722", [[{ a: [6.2, 70] }, 6]])).toStrictEqual([[{ a: tup(6.2, 70) }, 6]]);
  });

  it("should build float and complex arguments for Mbpp/124 and Mbpp/252 from their string form", () => {
    expect(mbppDeserializeInputs("Mbpp/124", [["1", "(-0-1j)"]])).toStrictEqual([[f("1.0"), c("-0.0", "-1.0")]]);
    expect(mbppDeserializeInputs("Mbpp/252", [[1], ["(2-5j)"]])).toStrictEqual([[c("1.0", "0.0")], [c("2.0", "-5.0")]]);
  });

  it("should build sets, and {} for an empty one, for Mbpp/115 (an MBPP+ v0.1 task)", () => {
    expect(mbppDeserializeInputs("Mbpp/115", [[[[1, 2], [], "x"]]])).toStrictEqual([[[{ $t: "set", v: [1, 2] }, {}, {}]]]);
  });

  it("should leave other tasks' inputs alone", () => {
    const inputs = [[[1, 2], "a", { k: [1] }]];
    expect(mbppDeserializeInputs("Mbpp/404", inputs)).toStrictEqual(inputs);
  });

  it("should name the task and input when a value cannot be converted", () => {
    const error = caught(() => mbppDeserializeInputs("Mbpp/2", [[[1]], [5]]));
    expect(error.message).toBe("Mbpp/2 input 1: tuple() of a int or float is not supported");
    expect(error.details).toStrictEqual({ taskId: "Mbpp/2", input: 1 });
  });
});

describe("oracleFor", () => {
  it("should give HumanEval/32's find_zero and the MBPP+ oracles by entry point, and nothing else", () => {
    expect(oracleFor("humaneval+", "find_zero")).toBe("find_zero");
    expect(oracleFor("mbpp+", "find_zero")).toBeUndefined();
    expect(oracleFor("mbpp+", "similar_elements")).toBe("set_eq");
    expect(oracleFor("mbpp+", "text_match_three")).toBe("not_none");
    expect(oracleFor("mbpp+", "surface_Area")).toBe("surface_area");
    expect(oracleFor("mbpp+", "digit_distance_nums")).toBe("digit_distance");
    expect(oracleFor("humaneval+", "similar_elements")).toBeUndefined();
    expect(oracleFor("mbpp+", "minimum")).toBeUndefined();
  });
});
