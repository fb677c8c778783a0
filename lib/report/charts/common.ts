// What the report's charts share: number text (Δ with CI, p, the confidence level), the one-layer type, the "no data" chart.
import type { TopLevelSpec } from './render.js';
import { COLORS } from '../theme.js';
import { fin } from '../format.js';

export { ciLevel, ciText, DEFAULT_ALPHA, fin, pText, signed } from '../format.js';

/** One layer of a layered Vega-Lite spec. */
export type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

export const num = (x: unknown): number | null => (fin(x) ? x : null);
export const fixed = (x: number, digits: number) => (fin(x) ? x.toFixed(digits) : 'n/a');
/** The CI lies entirely above (1) or below (−1) zero, or includes it (0). */
export const ciSide = (lo: number, hi: number): 1 | -1 | 0 => (fin(lo) && fin(hi) ? (lo > 0 ? 1 : hi < 0 ? -1 : 0) : 0);

/** Distinct values in order of first appearance. */
export const firstSeen = (xs: Iterable<string>): string[] => [...new Set(xs)];

/** Axis labels of mixes split before each '+', one part per line (a fixed expression: no user text in it). */
export const MIX_LABEL_EXPR = "split(replace(datum.label, /[+]/g, '\\n+'), '\\n')";

export function noDataSpec(what: string): TopLevelSpec {
  return {
    width: 260,
    height: 36,
    data: { values: [{ text: `no data: ${what}` }] },
    mark: { type: 'text', fontSize: 13, color: COLORS.muted, align: 'left' },
    encoding: { text: { field: 'text', type: 'nominal' }, x: { value: 0 }, y: { value: 18 } },
  };
}
