// The label heatmap: per-label F1 for each mix; a cell whose Δ CI vs the baseline excludes 0 is bold with ▲ or ▼.
import { renderSvg, type TopLevelSpec } from './render.js';
import {
  fin,
  ciText,
  ciSide,
  ciLevel,
  DEFAULT_ALPHA,
  firstSeen,
  MIX_LABEL_EXPR,
  noDataSpec,
  type Layer,
} from './common.js';
import { COLORS } from '../theme.js';

export interface HeatCell {
  label: string;
  mix: string;
  f1: number;
  /** Gold test sentences carrying the label. */
  support: number;
  /** Δ F1 of this label vs the baseline mix, with its (1 − alpha) CI. */
  delta?: { value: number; lo: number; hi: number };
}

export interface HeatmapOptions {
  /** The mix the Δ are against (default gold). */
  baseline?: string;
  /** evaluate.alpha: the Δ intervals are (1 − alpha) intervals (default 0.05: 95%). */
  alpha?: number;
}

export function labelHeatmapSpec(cells: readonly HeatCell[], opts: HeatmapOptions = {}): TopLevelSpec {
  if (!cells.length) return noDataSpec('no per-label scores');
  const baseline = opts.baseline ?? 'gold';
  const level = ciLevel(opts.alpha ?? DEFAULT_ALPHA);
  const support = new Map<string, number>();
  for (const c of cells) support.set(c.label, Math.max(support.get(c.label) ?? 0, fin(c.support) ? c.support : 0));
  const rowOf = (label: string) => {
    const n = support.get(label) ?? 0;
    return n < 5 ? `${label} (n=${n})` : label;
  };
  const values = cells.map((c) => {
    const side = c.delta ? ciSide(c.delta.lo, c.delta.hi) : 0;
    const mark = side === 1 ? ' ▲' : side === -1 ? ' ▼' : '';
    const scored = c.support > 0 && fin(c.f1);
    const delta = c.delta
      ? `; Δ ${ciText(c.delta.value, c.delta.lo, c.delta.hi)} vs ${baseline}${side ? ` (${level} CI excludes 0)` : ''}`
      : '';
    return {
      row: rowOf(c.label),
      mix: c.mix,
      f1: scored ? c.f1 : null,
      scored,
      sig: side !== 0,
      text: `${scored ? c.f1.toFixed(2) : '—'}${mark}`,
      desc: `${c.label} · ${c.mix}: F1 ${scored ? c.f1.toFixed(3) : 'n/a (no gold test support)'}, support ${c.support}${delta}`,
    };
  });
  const mixes = firstSeen(cells.map((c) => c.mix));
  const rows = firstSeen(cells.map((c) => c.label)).map(rowOf);
  // Vega draws extra lines of a label below its first line, so a top axis lifts its labels by the extra lines.
  const lines = Math.max(...mixes.map((m) => m.split('+').length));
  const x = {
    field: 'mix',
    type: 'nominal',
    sort: mixes,
    title: null,
    axis: {
      orient: 'top',
      labelAngle: 0,
      labelExpr: MIX_LABEL_EXPR,
      labelBaseline: 'bottom',
      labelLineHeight: 14,
      labelPadding: 4 + (lines - 1) * 14,
      labelFontSize: 11.5,
      ticks: false,
      domain: false,
    },
  } as const;
  const y = {
    field: 'row',
    type: 'nominal',
    sort: rows,
    title: null,
    axis: { labelFontSize: 12, ticks: false, domain: false },
  } as const;
  const anySig = values.some((v) => v.sig);
  const note = [
    anySig || cells.some((c) => c.delta)
      ? `outlined, bold ▲ / ▼: the ${level} CI of Δ F1 vs ${baseline} lies above / below 0`
      : '',
    [...support.values()].some((n) => n < 5) ? '(n=…): fewer than 5 gold test sentences carry the label' : '',
    values.some((v) => !v.scored) ? '—: no gold test support' : '',
  ].filter(Boolean);
  return {
    width: { step: 88 },
    height: { step: 30 },
    ...(note.length ? { title: { text: note, orient: 'bottom', offset: 12 } } : {}),
    data: { values },
    encoding: { x, y },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: {
          color: {
            condition: { test: '!datum.scored', value: COLORS.empty },
            field: 'f1',
            type: 'quantitative',
            title: 'F1',
            scale: { domain: [0, 1], scheme: 'blues' },
            legend: { orient: 'right', gradientLength: 120, format: '.1f', values: [0, 0.5, 1] },
          },
          description: { field: 'desc', type: 'nominal' },
        },
      },
      {
        transform: [{ filter: 'datum.sig' }],
        mark: { type: 'rect', fill: null, stroke: COLORS.ink, strokeWidth: 2, aria: false },
      },
      ...[true, false].map((sig): Layer => ({
        transform: [{ filter: sig ? 'datum.sig' : '!datum.sig' }],
        mark: { type: 'text', baseline: 'middle', fontSize: 12, fontWeight: sig ? 'bold' : 'normal', aria: false },
        encoding: {
          text: { field: 'text', type: 'nominal' },
          color: { condition: { test: 'datum.scored && datum.f1 > 0.55', value: 'white' }, value: COLORS.ink },
        },
      })),
    ],
  };
}

export function labelHeatmapSvg(cells: readonly HeatCell[], opts: HeatmapOptions = {}): Promise<string> {
  return renderSvg(labelHeatmapSpec(cells, opts), {
    id: 'label-heatmap',
    ariaLabel: 'Per-label F1 for each training mix',
  });
}
