// TypeScript runs with its types stripped; this one sorts and prints.
interface Point {
  x: number;
  y: number;
}
const points: Point[] = [{ x: 3, y: 4 }, { x: 1, y: 1 }, { x: 6, y: 8 }];
const norms = points.map((p: Point): number => Math.hypot(p.x, p.y)).sort((a, b) => a - b);
console.log(`TypeScript on Node ${process.versions.node}: norms ${norms.map((n) => n.toFixed(2)).join(", ")}`);
