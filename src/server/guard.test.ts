import { describe, expect, it } from "vitest";
import { checkInputShape, findProtoKey } from "./guard.ts";

describe("checkInputShape", () => {
  it("should accept plain JSON within bounds", () => {
    expect(checkInputShape({ a: [1, "x", null, true, { b: 2.5 }] })).toBeNull();
  });

  it("should refuse what JSON cannot carry, with the path", () => {
    expect(checkInputShape({ a: [1, Number.NaN] })).toMatch(/\$\.a\[1\] is NaN/u);
    expect(checkInputShape({ a: -Infinity })).toMatch(/-Infinity/u);
    expect(checkInputShape({ f: () => 1 })).toMatch(/\$\.f is a function/u);
    expect(checkInputShape({ d: new Date() })).toMatch(/not a plain JSON object/u);
    expect(checkInputShape({ s: "a\ud800" })).toMatch(/lone surrogate/u);
  });

  it("should refuse deep nesting, too many elements and too much text without recursing", () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(checkInputShape(deep)).toMatch(/nested deeper than 64/u);
    expect(checkInputShape({ xs: new Array(100_001).fill(0) })).toMatch(/more than 100000/u);
    expect(checkInputShape({ s: "x".repeat(10) }, { maxDepth: 8, maxElements: 10, maxStringChars: 5 })).toMatch(/more than 5 characters/u);
  });

  it("should refuse __proto__ keys wherever they are", () => {
    const parsed = JSON.parse('{"a":[{"__proto__":{"x":1}}]}') as unknown;
    expect(checkInputShape(parsed)).toMatch(/"__proto__" key/u);
    expect(findProtoKey(parsed)).toBe("$.a[0]");
    expect(findProtoKey({ a: { proto: 1 } })).toBeNull();
  });
});
