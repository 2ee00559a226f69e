// Which line of one version of a program is which line of another: a longest common subsequence
// of lines (compared without trailing whitespace), with the lines of each changed stretch paired
// by position. Used to align the blocks of two versions and to say which lines an edit touched.

/** Past this many cells the middle of two sources is not aligned by LCS (pairs by position). */
const MAX_LCS_CELLS = 4_000_000;

export interface LineMap {
  /** For each 1-based line of `a`, its line in `b` (null when it has none); index 0 is unused. */
  readonly aToB: readonly (number | null)[];
  readonly bToA: readonly (number | null)[];
  /** Non-blank lines of `a` that are not in the common subsequence: changed or added in `a`. */
  readonly editedA: ReadonlySet<number>;
  /** Non-blank lines of `b` that are not in the common subsequence. */
  readonly editedB: ReadonlySet<number>;
}

function splitLines(source: string): string[] {
  const lines = source.split(/\r\n|\r|\n/u).map((l) => l.trimEnd());
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Aligns the lines of two versions of a source. */
export function lineMap(a: string, b: string): LineMap {
  const la = splitLines(a);
  const lb = splitLines(b);
  const aToB: (number | null)[] = new Array<number | null>(la.length + 1).fill(null);
  const bToA: (number | null)[] = new Array<number | null>(lb.length + 1).fill(null);
  const matched: [number, number][] = []; // 0-based pairs of equal lines, increasing
  let pre = 0;
  while (pre < la.length && pre < lb.length && la[pre] === lb[pre]) {
    matched.push([pre, pre]);
    pre++;
  }
  let suf = 0;
  while (suf < la.length - pre && suf < lb.length - pre && la[la.length - 1 - suf] === lb[lb.length - 1 - suf]) suf++;
  matched.push(...lcs(la.slice(pre, la.length - suf), lb.slice(pre, lb.length - suf)).map(([i, j]) => [i + pre, j + pre] as [number, number]));
  for (let k = suf; k > 0; k--) matched.push([la.length - k, lb.length - k]);

  const editedA = new Set<number>();
  const editedB = new Set<number>();
  let i = 0;
  let j = 0;
  for (const [mi, mj] of [...matched, [la.length, lb.length] as [number, number]]) {
    // The changed stretch before this anchor: pair its lines by position.
    for (let k = 0; i + k < mi || j + k < mj; k++) {
      const ai = i + k < mi ? i + k : null;
      const bj = j + k < mj ? j + k : null;
      if (ai !== null && bj !== null) {
        aToB[ai + 1] = bj + 1;
        bToA[bj + 1] = ai + 1;
      }
      if (ai !== null && la[ai]!.trim() !== "") editedA.add(ai + 1);
      if (bj !== null && lb[bj]!.trim() !== "") editedB.add(bj + 1);
    }
    if (mi < la.length) {
      aToB[mi + 1] = mj + 1;
      bToA[mj + 1] = mi + 1;
    }
    i = mi + 1;
    j = mj + 1;
  }
  return { aToB, bToA, editedA, editedB };
}

/**
 * Index pairs of a longest common subsequence of two line lists. Among subsequences of the same
 * length it prefers lines that stay in place (same offset from the start or from the end), so two
 * swapped lines read as two edits, not as one line moved across the other.
 */
function lcs(a: readonly string[], b: readonly string[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || n * m > MAX_LCS_CELLS) return [];
  // score[x][y]: best weight of a[x..] against b[y..]; a match weighs more than all bonuses together.
  const unit = Math.min(n, m) + 1;
  const weight = (x: number, y: number) => (a[x] === b[y] ? unit + (x === y || n - x === m - y ? 1 : 0) : 0);
  const width = m + 1;
  const score = new Float64Array((n + 1) * width);
  for (let x = n - 1; x >= 0; x--) {
    for (let y = m - 1; y >= 0; y--) {
      const w = weight(x, y);
      const skip = Math.max(score[(x + 1) * width + y]!, score[x * width + y + 1]!);
      score[x * width + y] = w > 0 ? Math.max(w + score[(x + 1) * width + y + 1]!, skip) : skip;
    }
  }
  const out: [number, number][] = [];
  let x = 0;
  let y = 0;
  while (x < n && y < m) {
    const w = weight(x, y);
    if (w > 0 && score[x * width + y] === w + score[(x + 1) * width + y + 1]!) {
      out.push([x, y]);
      x++;
      y++;
    } else if (score[(x + 1) * width + y]! >= score[x * width + y + 1]!) x++;
    else y++;
  }
  return out;
}
