// Number text shared by the report's model, sections and charts (plain text; markup escapes it).

/** A finite number, else 0. */
export const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
export const f3 = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : '—');
export const int = (x: unknown): string => Math.round(num(x)).toLocaleString('en-US');
export const share = (x: unknown): string =>
  typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—';
/** a as a percent of b: one decimal from 1000 up; `—` when b is 0. */
export const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(b >= 1000 ? 1 : 0)}%` : '—');
/** `0.600 ± 0.173` */
/** mean ± sd, or the mean alone where seeds do not apply (a deterministic head: `seedsApply === false`). */
export const stat = (s: { mean: number; sd: number }, seedsApply?: boolean): string =>
  seedsApply === false ? f3(s.mean) : `${f3(s.mean)} ± ${f3(s.sd)}`;

export const fin = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
/**
 * `+0.031` / `−0.004` (a true minus sign); `n/a` when not a finite number. A negative value that rounds to zero keeps
 * its sign (`−0.000`), so an interval that ends just below 0 does not read as touching it.
 */
export function signed(x: number, digits = 3): string {
  if (!fin(x)) return 'n/a';
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(digits)}`;
}
/** `p = 0.09`, `p = 0.012`, `p < 0.001`. */
export function pText(p: number, name = 'p'): string {
  if (!fin(p)) return `${name} = n/a`;
  if (p < 0.001) return `${name} < 0.001`;
  if (p < 0.1) return `${name} = ${Number(p.toPrecision(2))}`;
  return `${name} = ${p.toFixed(2)}`;
}
/** `+0.031 [−0.004, +0.066]` */
export const ciText = (delta: number, lo: number, hi: number): string =>
  `${signed(delta)} [${signed(lo)}, ${signed(hi)}]`;
/** The confidence level of a (1 − alpha) interval as people write it: alpha 0.05 → `95%`, 0.1 → `90%`, 0.025 → `97.5%`. */
export function ciLevel(alpha: number): string {
  if (!fin(alpha) || alpha <= 0 || alpha >= 1) throw new Error(`ciLevel: alpha must lie in (0, 1), got ${alpha}`);
  return `${Number((100 * (1 - alpha)).toFixed(2))}%`;
}
/** The significance level the report's intervals use unless evaluate.alpha says otherwise. */
export const DEFAULT_ALPHA = 0.05;
