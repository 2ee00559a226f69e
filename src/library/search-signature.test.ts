import { describe, expect, it } from "vitest";
import { extractSignature, formatSignature, signatureOf } from "./search-signature.ts";
import { docstringOf, parseQuery, wordsOf } from "./search-text.ts";

describe("signatureOf", () => {
  it("should read parameters in order and map JSON Schema shapes with Python hints", () => {
    const sig = signatureOf(
      {
        type: "object",
        properties: {
          xs: { type: "array", items: { type: "integer" } },
          pair: { type: "array", prefixItems: [{ type: "string" }, { type: "number" }] },
          tags: { type: "array", items: { type: "string" }, "x-python": "set" },
          blob: { type: "string", "x-python": "bytes" },
          maybe: { anyOf: [{ type: "integer" }, { type: "null" }] },
          counts: { type: "object", additionalProperties: { type: "integer" } },
        },
      },
      { type: ["integer", "null"] },
    );
    expect(formatSignature(sig.params, sig.returns)).toBe("(list[int], tuple[str,float], set[str], bytes, None|int, dict[str,int]) -> None|int");
    expect(sig.paramsLoose).toBe("list[num],tuple[str,num],set[str],bytes,None|num,dict[str,num]");
  });

  it("should fall back to any for shapes it cannot read, never throwing", () => {
    expect(signatureOf({ type: "object" }, {}).returns).toBe("any");
    expect(signatureOf({ type: "object", properties: { a: 5 } }, { enum: [1, "a"] })).toMatchObject({ params: "any", returns: "int|str" });
  });
});

describe("extractSignature", () => {
  it("should read Python and TypeScript spellings to the same canonical types", () => {
    const a = extractSignature("(xs: list[int], k: int) -> List[int]").signature;
    const b = extractSignature("(xs: number[], k: number) => Array<number>").signature;
    expect(a?.params).toBe("list[int],int");
    expect(b?.params).toBe("list[float],float");
    expect(a?.paramsLoose).toBe(b?.paramsLoose);
    expect(extractSignature("(Optional[str]) -> Dict[str, Tuple[int, ...]]").signature).toMatchObject({ params: "None|str", returns: "dict[str,tuple[int,...]]" });
    expect(extractSignature("(s?: string | null) => [number, string]").signature).toMatchObject({ params: "None|str", returns: "tuple[float,str]" });
  });

  it("should keep the words around the signature and allow wildcards", () => {
    expect(extractSignature("merge sorted (list[int], list[int]) -> list[int] stable")).toMatchObject({ text: "merge sorted stable" });
    expect(extractSignature("(str) -> _").signature).toMatchObject({ params: "str", returns: null });
    expect(extractSignature("_ -> bool").signature).toMatchObject({ params: null, returns: "bool" });
    expect(extractSignature("() -> int").signature).toMatchObject({ params: "", returns: "int" });
    expect(extractSignature("just words").signature).toBeNull();
  });

  it("should throw a SyntaxError with a reason for unreadable types", () => {
    expect(() => extractSignature("(list[int) -> int")).toThrow(SyntaxError);
    expect(() => extractSignature("(int[str]) -> int")).toThrow(/takes no type arguments/u);
  });
});

describe("search text", () => {
  it("should split identifiers into words", () => {
    expect(wordsOf("sortByKey")).toBe("sort by key");
    expect(wordsOf("parse_HTTPHeaders2")).toBe("parse http headers 2");
  });

  it("should find the entry point's docstring, not another function's", () => {
    const source = 'def helper():\n    """Not this one."""\n\ndef main(xs: list[int],\n         k: int = 3) -> dict[str, int]:\n    # a comment\n    r"""Count the words."""\n    return {}\n';
    expect(docstringOf({ language: "python", source, entryPoint: "main" })).toBe("Count the words.");
    expect(docstringOf({ language: "python", source: '"""Module doc."""\ndef f():\n    return 1\n', entryPoint: "f" })).toBe("Module doc.");
    expect(docstringOf({ language: "python", source: "def f():\n    x = '''no'''\n", entryPoint: "f" })).toBe("");
    const ts = "/** Other. */\nfunction g() {}\n/**\n * Reverses a string.\n * @param s the text\n */\nexport function rev(s: string) { return s; }\n";
    expect(docstringOf({ language: "typescript", source: ts, entryPoint: "rev" })).toBe("Reverses a string. @param s the text");
  });

  it("should turn a query into plain words (no engine operators) plus a signature", () => {
    const q = parseQuery('sortByKey "OR" NEAR(x) (list[int]) -> int');
    expect(q.words).toStrictEqual(["sortbykey", "sort", "by", "key", "or", "near", "x"]);
    expect(q.signature?.returns).toBe("int");
    expect(parseQuery("palin").lastIsPrefix).toBe(true);
    expect(parseQuery("palin ").lastIsPrefix).toBe(false);
  });
});
