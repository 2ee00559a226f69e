import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { CrucibleError } from "../errors.ts";
import { loadCodeTPool, type CodeTTask } from "./datasets/codet.ts";
import { CODET_STOPS, cutAtStops, sanitize } from "./sanitize.ts";

const POOL = fileURLToPath(new URL("../../../shared/datasets/codet-codegen16b/", import.meta.url));

describe("cutAtStops", () => {
  it("should apply CodeT's stops one after another, each at its first occurrence", () => {
    // "\ndef" cuts first, then "\n#" cuts what is left: order matters, as in CodeT's loop.
    expect(cutAtStops("    return 1\n# note\ndef g():\n    pass", CODET_STOPS)).toBe("    return 1");
    expect(cutAtStops("    x = 1\n    if x:\n        return x\nif __name__ == '__main__':\n    print(1)", CODET_STOPS)).toBe("    x = 1\n    if x:\n        return x");
    expect(cutAtStops("    return a\nclass B: pass", CODET_STOPS)).toBe("    return a");
    expect(cutAtStops("    return a\nprint(a)", CODET_STOPS)).toBe("    return a");
  });

  it("should not cut at indented lines, which are still the function's body", () => {
    const body = "    # sum them\n    if not xs:\n        return 0\n    def helper(x):\n        return x\n    return sum(map(helper, xs))\n";
    expect(cutAtStops(body, CODET_STOPS)).toBe(body);
  });

  it("should refuse an empty stop, as Python's split does", () => {
    expect(() => cutAtStops("x", [""])).toThrow(CrucibleError);
  });
});

describe("sanitize on realistic model output", () => {
  it("should take the code out of a ChatML answer with prose around a python fence", () => {
    const raw =
      "Here's an implementation that sorts first and then compares neighbours:\n\n```python\nfrom typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n    s = sorted(numbers)\n    return any(b - a < threshold for a, b in zip(s, s[1:]))\n```\n\nThis runs in O(n log n) time because of the sort.<|im_end|>\n<|im_start|>user\nthanks";
    expect(sanitize(raw, { entryPoint: "has_close_elements" })).toBe(
      "from typing import List\n\n\ndef has_close_elements(numbers: List[float], threshold: float) -> bool:\n    s = sorted(numbers)\n    return any(b - a < threshold for a, b in zip(s, s[1:]))\n",
    );
  });

  it("should prefer the block that defines the entry point over an example-usage block before it", () => {
    const raw =
      "You can call it like this:\n\n```python\nprint(incr_list([1, 2, 3]))  # [2, 3, 4]\n```\n\nThe function:\n\n```python\ndef incr_list(l: list):\n    return [x + 1 for x in l]\n```\n";
    expect(sanitize(raw, { entryPoint: "incr_list" })).toBe("def incr_list(l: list):\n    return [x + 1 for x in l]\n");
    // Without an entry point the first python block wins.
    expect(sanitize(raw)).toBe("print(incr_list([1, 2, 3]))  # [2, 3, 4]\n");
  });

  it("should read untagged and py fences and skip blocks in other languages", () => {
    expect(sanitize("```\ndef f():\n    return 1\n```")).toBe("def f():\n    return 1\n");
    expect(sanitize("Run it with:\n```bash\npython main.py\n```\n```py\ndef f():\n    return 2\n```\nOutput:\n```text\n2\n```")).toBe("def f():\n    return 2\n");
  });

  it("should keep a block cut off by the token limit", () => {
    expect(sanitize("Sure.\n```python\ndef fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b", { entryPoint: "fib" })).toBe(
      "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b\n",
    );
  });

  it("should keep code that continues a fence the prompt opened (CodeEval-Pro's response prefix)", () => {
    const raw = "    return [i for i, l in enumerate(lists) if has_close_elements(l, t)]\n```\n\nExplanation: the helper is reused for each list.";
    expect(sanitize(raw)).toBe("    return [i for i, l in enumerate(lists) if has_close_elements(l, t)]\n");
  });

  it("should drop prose before and after unfenced code", () => {
    const raw =
      "Sure! Here is the function you asked for:\n\nimport math\n\ndef is_prime(n):\n    if n < 2:\n        return False\n    for k in range(2, math.isqrt(n) + 1):\n        if n % k == 0:\n            return False\n    return True\n\nThis checks divisors up to the square root of n.\nIt returns False for 0 and 1.";
    expect(sanitize(raw, { entryPoint: "is_prime" })).toBe(
      "import math\n\ndef is_prime(n):\n    if n < 2:\n        return False\n    for k in range(2, math.isqrt(n) + 1):\n        if n % k == 0:\n            return False\n    return True\n",
    );
  });

  it("should cut a completion at the end-of-text token and leave its indentation alone", () => {
    expect(sanitize("    return sorted(set(l))\n<|endoftext|>\n# unrelated file\nimport os\n")).toBe("    return sorted(set(l))\n");
    expect(sanitize("    return x</s>")).toBe("    return x");
  });

  it("should return a plain completion exactly as it came", () => {
    const completion = "    result = []\n    for x in xs:\n        result.append(x * 2)\n    return result\n\n\n";
    expect(sanitize(completion)).toBe(completion);
    expect(sanitize("    return a\r\n")).toBe("    return a\r\n");
  });

  it("should keep the answer after an echoed Llama-2 instruction and drop the end token", () => {
    const raw = "<s>[INST] Write a function add(a, b). [/INST] ```python\ndef add(a, b):\n    return a + b\n``` </s>";
    expect(sanitize(raw, { entryPoint: "add" })).toBe("def add(a, b):\n    return a + b\n");
  });

  it("should ignore code in a reasoning block and use the answer after it", () => {
    const raw =
      "<think>\nMaybe:\n```python\ndef median(l):\n    return l[len(l)//2]\n```\nNo, that ignores even lengths.\n</think>\n\n```python\ndef median(l: list):\n    s = sorted(l)\n    n = len(s)\n    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2\n```<｜end▁of▁sentence｜>";
    expect(sanitize(raw, { entryPoint: "median" })).toBe(
      "def median(l: list):\n    s = sorted(l)\n    n = len(s)\n    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2\n",
    );
  });

  it("should never take a docstring's unindented text for prose", () => {
    const raw = '"""\nWrite a function to find the minimum of two numbers.\nassert minimum(1,2) == 1\n"""\ndef minimum(a, b):\n    return min(a, b)\n';
    expect(sanitize(raw, { entryPoint: "minimum" })).toBe(raw);
  });

  it("should cut extracted code at the stop sequences", () => {
    const raw = "```python\ndef f(x):\n    return x + 1\n\nif __name__ == '__main__':\n    print(f(1))\n```";
    expect(sanitize(raw, { entryPoint: "f", stop: ["\nif __name__"] })).toBe("def f(x):\n    return x + 1\n");
  });

  it("should keep leading constants and decorators with the code", () => {
    const raw = "Use memoisation:\n\nMOD = 10**9 + 7\n\n@functools.cache\ndef ways(n):\n    return 1 if n < 2 else (ways(n - 1) + ways(n - 2)) % MOD\n";
    expect(sanitize(raw)).toBe("MOD = 10**9 + 7\n\n@functools.cache\ndef ways(n):\n    return 1 if n < 2 else (ways(n - 1) + ways(n - 2)) % MOD\n");
  });

  it("should return nothing for an answer with no code", () => {
    expect(sanitize("I'm sorry, but I can't help with that request.")).toBe("");
    expect(sanitize("<|im_end|>")).toBe("");
  });

  it("should be idempotent on every case above", () => {
    const cases = [
      "Sure! Here it is:\n\ndef f():\n    return 1\n\nThat is all.",
      "```python\ndef f():\n    return 1\n```\nDone.",
      "    return 1\n<|endoftext|>junk",
      '"""\nDoc at column zero.\n"""\nx = 1\n',
    ];
    for (const raw of cases) {
      const once = sanitize(raw);
      expect(sanitize(once)).toBe(once);
    }
  });
});

describe("sanitize and cutAtStops on the CodeT pool (16,400 raw CodeGen completions)", () => {
  let pool: CodeTTask[];
  beforeAll(async () => {
    pool = await loadCodeTPool(POOL);
  });

  it("should cut every completion to a stop-free prefix, idempotently", () => {
    const broken: string[] = [];
    let count = 0;
    for (const { samples } of pool) {
      for (const s of samples) {
        count++;
        const cut = cutAtStops(s, CODET_STOPS);
        const ok = s.startsWith(cut) && CODET_STOPS.every((stop) => !cut.includes(stop)) && cutAtStops(cut, CODET_STOPS) === cut;
        if (!ok) broken.push(s);
      }
    }
    expect(count).toBe(16_400);
    expect(broken).toStrictEqual([]);
  });

  it("should agree with cutAtStops except on completions whose first line is not indented like a body", () => {
    const differ: { raw: string; cut: string; clean: string }[] = [];
    for (const { task, samples } of pool) {
      for (const raw of samples) {
        const cut = cutAtStops(raw, CODET_STOPS);
        const clean = sanitize(raw, { entryPoint: task.entryPoint, stop: CODET_STOPS });
        if (clean !== cut) differ.push({ raw, cut, clean });
      }
    }
    expect(differ.length).toBeLessThan(20);
    for (const { raw, cut, clean } of differ) {
      // prompt + such a completion is already a syntax error: its first line is text outside the body.
      expect(raw).toMatch(/^(?! {4}|\t)/);
      expect(cut.startsWith(clean.trimEnd())).toBe(true);
    }
  });

  it("should be idempotent on every completion", () => {
    const unstable: string[] = [];
    for (const { task, samples } of pool) {
      for (const s of samples) {
        const once = sanitize(s, { entryPoint: task.entryPoint });
        if (sanitize(once, { entryPoint: task.entryPoint }) !== once) unstable.push(s);
      }
    }
    expect(unstable).toStrictEqual([]);
  });
});
