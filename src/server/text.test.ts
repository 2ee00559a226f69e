import { describe, expect, it } from "vitest";
import { escapeDeep, escapeText, hasHiddenText, safeText } from "./text.ts";

describe("escapeText", () => {
  it("should make control, bidi, invisible and tag characters visible and keep tabs and newlines", () => {
    expect(escapeText("a\x1b[0m\u202e\u200b\u{e0041}\ud800\tb\n")).toBe("a\\u{1b}[0m\\u{202e}\\u{200b}\\u{e0041}\\u{d800}\tb\n");
    expect(escapeText("héllo wörld 😀")).toBe("héllo wörld 😀");
    expect(hasHiddenText("plain text")).toBe(false);
    expect(hasHiddenText("a\u2066b")).toBe(true);
    expect(hasHiddenText("a\u2066b")).toBe(true);
  });
});

describe("safeText", () => {
  it("should cut at a code point boundary and say how much was left out", () => {
    const { text, truncated } = safeText(`${"a".repeat(9)}😀😀`, 10);
    expect(truncated).toBe(true);
    expect(text).toBe(`${"a".repeat(9)}\n[output truncated: 4 more characters]`);
    expect(safeText("short", 10)).toEqual({ text: "short", truncated: false });
    expect(safeText("cut earlier", 100, true).text).toMatch(/truncated by the sandbox/u);
  });
});

describe("escapeDeep", () => {
  it("should escape every string except under the kept keys", () => {
    expect(escapeDeep({ message: "\x1b", args: ["\x1b"], nested: [{ value: "\u202e", text: "\u202e" }] }, 100, new Set(["args", "value"]))).toEqual({
      message: "\\u{1b}",
      args: ["\x1b"],
      nested: [{ value: "\u202e", text: "\\u{202e}" }],
    });
  });
});
