import { describe, expect, it } from "vitest";
import type { Wire } from "../../sandbox/guest/codec.mjs";
import { floatWire, pyComplex, pyFloat, pySet, pyTuple } from "./python-values.ts";
import { caught } from "../../../test/support/caught.ts";

const f = (v: string): Wire => ({ $t: "float", v });
const c = (re: string, im: string): Wire => ({ $t: "complex", v: [f(re), f(im)] });
const tup = (...v: Wire[]): Wire => ({ $t: "tuple", v });


describe("Python constructors on wire values", () => {
  it("should make tuples of lists, strings (by character) and dict keys, as tuple() does", () => {
    expect(pyTuple([1, "a", null])).toStrictEqual(tup(1, "a", null));
    expect(pyTuple("héy😀")).toStrictEqual(tup("h", "é", "y", "😀"));
    expect(pyTuple({ b: 1, a: 2 })).toStrictEqual(tup("b", "a"));
    expect(
      pyTuple({
        $t: "dict",
        v: [
          ["5", 1],
          ["a", 2],
        ],
      }),
    ).toStrictEqual(tup("5", "a"));
    expect(pySet([1, 2])).toStrictEqual({ $t: "set", v: [1, 2] });
  });

  it("should refuse what tuple() refuses", () => {
    expect(caught(() => pyTuple(3)).message).toContain("tuple() of a int or float");
    expect(caught(() => pyTuple(null)).message).toContain("NoneType");
  });

  it("should convert to float as float() does", () => {
    expect(pyFloat("0")).toStrictEqual(f("0.0"));
    expect(pyFloat("-1000000.0")).toStrictEqual(f("-1000000.0"));
    expect(pyFloat("1e-100")).toBe(1e-100);
    expect(pyFloat(" 0.5 ")).toBe(0.5);
    expect(pyFloat("1_000.5")).toBe(1000.5);
    expect(pyFloat("-inf")).toStrictEqual(f("-inf"));
    expect(pyFloat("Infinity")).toStrictEqual(f("inf"));
    expect(pyFloat("nan")).toStrictEqual(f("nan"));
    expect(pyFloat("-0")).toStrictEqual(f("-0.0"));
    expect(pyFloat(3)).toStrictEqual(f("3.0"));
    expect(pyFloat(true)).toStrictEqual(f("1.0"));
    expect(pyFloat({ $t: "int", v: "10000000000000000000001" })).toStrictEqual(f("1e+22"));
    expect(caught(() => pyFloat("1,5")).message).toContain("could not convert string to float");
    expect(caught(() => pyFloat("1__0")).message).toContain("could not convert");
  });

  it("should give integral floats a text Python reads back as the same float", () => {
    expect(floatWire(5000)).toStrictEqual(f("5000.0"));
    expect(floatWire(1e22)).toStrictEqual(f("1e+22"));
    expect(floatWire(0.25)).toBe(0.25);
  });

  it("should parse complex() strings as CPython does, signed zeros included", () => {
    expect(pyComplex("1j")).toStrictEqual(c("0.0", "1.0"));
    expect(pyComplex("(-0-1j)")).toStrictEqual(c("-0.0", "-1.0"));
    expect(pyComplex("-1j")).toStrictEqual(c("0.0", "-1.0"));
    expect(pyComplex("(1+2j)")).toStrictEqual(c("1.0", "2.0"));
    expect(pyComplex("1e-100j")).toStrictEqual({ $t: "complex", v: [f("0.0"), 1e-100] });
    expect(pyComplex("(-0-1e-16j)")).toStrictEqual({ $t: "complex", v: [f("-0.0"), -1e-16] });
    expect(pyComplex(" ( 2.5-J ) ")).toStrictEqual({ $t: "complex", v: [2.5, f("-1.0")] });
    expect(pyComplex("j")).toStrictEqual(c("0.0", "1.0"));
    expect(pyComplex("69.02761442257642")).toStrictEqual({ $t: "complex", v: [69.02761442257642, f("0.0")] });
    expect(pyComplex(4)).toStrictEqual(c("4.0", "0.0"));
    for (const bad of ["", "()", "1+2", "(1+2j", "1+2j)", "1 + 2j", "1e5e5j", "jj"]) {
      expect(caught(() => pyComplex(bad)).message, bad).toContain("malformed string");
    }
  });
});
