// The forest plot: Δ of one metric per mix against its baseline, with the (1 − alpha) CI and p printed beside it.
import { renderSvg, type TopLevelSpec } from './render.js';
import { num, pText, ciText, ciSide, ciLevel, DEFAULT_ALPHA, firstSeen, noDataSpec, type Layer } from './common.js';
import { COLORS } from '../theme.js';

export interface ForestRow {
  mix: string;
  /** Observed Δ of the metric, mix minus baseline. */
  delta: number;
  /** The (1 − alpha) CI of Δ. */
  lo: number;
  hi: number;
  /** Two-sided p-value of Δ. */
  p: number;
  /** Holm-adjusted p-value, when several mixes are compared. */
  pHolm?: number;
  baseline: string;
}

const forestSig = (level: string) =>
  [`better: ${level} CI above 0`, `worse: ${level} CI below 0`, `${level} CI includes 0`] as const;

export interface ForestOptions {
  /** The metric the Δ is of (default macro-F1). */
  metric?: string;
  /** evaluate.alpha: the intervals are (1 − alpha) intervals (default 0.05: 95%). */
  alpha?: number;
}

export function forestPlotSpec(rows: readonly ForestRow[], opts: ForestOptions = {}): TopLevelSpec {
  if (!rows.length) return noDataSpec('no comparison to plot');
  const metric = opts.metric ?? 'macro-F1';
  const level = ciLevel(opts.alpha ?? DEFAULT_ALPHA);
  const FOREST_SIG = forestSig(level);
  const baselines = firstSeen(rows.map((r) => r.baseline));
  const one = baselines.length === 1;
  const seen = new Map<string, number>();
  const values = rows.map((r) => {
    let row = one ? r.mix : `${r.mix} vs ${r.baseline}`;
    const k = (seen.get(row) ?? 0) + 1;
    seen.set(row, k);
    if (k > 1) row = `${row} (${k})`;
    const side = ciSide(r.lo, r.hi);
    const holm = r.pHolm === undefined ? '' : ` (Holm ${pText(r.pHolm, 'p')})`;
    const text = `${ciText(r.delta, r.lo, r.hi)}, ${pText(r.p)}${holm}`;
    return {
      row,
      mix: r.mix,
      baseline: r.baseline,
      delta: num(r.delta),
      lo: num(r.lo),
      hi: num(r.hi),
      sig: FOREST_SIG[side === 1 ? 0 : side === -1 ? 1 : 2],
      excludesZero: side !== 0,
      text,
      desc: `${r.mix} vs ${r.baseline}: Δ ${metric} ${text}`,
    };
  });
  const order = values.map((v) => v.row);
  const y = {
    field: 'row',
    type: 'nominal',
    sort: order,
    title: null,
    axis: { labelFontSize: 12, ticks: false, domain: false },
  } as const;
  const color = {
    field: 'sig',
    type: 'nominal',
    title: null,
    scale: { domain: [...FOREST_SIG], range: [COLORS.better, COLORS.worse, COLORS.neutral] },
    legend: { orient: 'bottom', direction: 'horizontal' },
  } as const;
  const shape = {
    field: 'sig',
    type: 'nominal',
    title: null,
    scale: { domain: [...FOREST_SIG], range: ['diamond', 'diamond', 'circle'] },
  } as const;
  const width = 340;
  return {
    width,
    height: { step: 30 },
    data: { values },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 2.2, aria: false },
        encoding: {
          y,
          x: {
            field: 'lo',
            type: 'quantitative',
            scale: { zero: true, nice: true },
            title: `Δ ${metric} vs ${one ? baselines[0] : 'baseline'} (${level} CI)`,
            axis: { labelExpr: "datum.value === 0 ? '0' : format(datum.value, '+.2f')", tickCount: 6, grid: true },
          },
          x2: { field: 'hi' },
          color,
        },
      },
      {
        mark: { type: 'point', filled: true, size: 90, opacity: 1 },
        encoding: {
          y,
          x: { field: 'delta', type: 'quantitative' },
          color,
          shape,
          description: { field: 'desc', type: 'nominal' },
        },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: 'rule', color: COLORS.ink, strokeDash: [4, 3], strokeWidth: 1, aria: false },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
      // The numbers, printed to the right (a static SVG shows no tooltip); bold and dark where the CI excludes 0.
      ...[true, false].map((excludes): Layer => ({
        transform: [{ filter: excludes ? 'datum.excludesZero' : '!datum.excludesZero' }],
        mark: {
          aria: false,
          type: 'text',
          align: 'left',
          baseline: 'middle',
          fontSize: 11.5,
          dx: 12,
          fontWeight: excludes ? 'bold' : 'normal',
          color: excludes ? COLORS.ink : COLORS.muted,
        },
        encoding: { y, x: { value: width }, text: { field: 'text', type: 'nominal' } },
      })),
    ],
  };
}

/** `id`: the SVG's id (default `forest-plot`; another one for a second plot on the page, e.g. the review's effect). */
export function forestPlotSvg(rows: readonly ForestRow[], opts: ForestOptions & { id?: string } = {}): Promise<string> {
  const metric = opts.metric ?? 'macro-F1';
  return renderSvg(forestPlotSpec(rows, opts), {
    id: opts.id ?? 'forest-plot',
    ariaLabel: `Forest plot: Δ ${metric} of each training mix vs its baseline, with ${ciLevel(opts.alpha ?? DEFAULT_ALPHA)} confidence intervals`,
  });
}
