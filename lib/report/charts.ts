// The report's charts as Vega-Lite specs, rendered to static, self-contained SVG in Node (no canvas, no network).
import { compile, type Config, type TopLevelSpec } from 'vega-lite';
import { loader, logger, parse, View, Warn, type Loader } from 'vega';

export type { TopLevelSpec };
/** One layer of a layered Vega-Lite spec. */
type Layer = Extract<TopLevelSpec, { layer: unknown }>['layer'][number];

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

export interface CurvePoint {
  mix: string;
  /** Share of the training pool used, a fraction in [0, 1] (shown as a percent). */
  share: number;
  /** Training rows at this share. */
  n: number;
  /** Macro-F1 mean and sd over seeds. */
  mean: number;
  sd: number;
}

export interface F1Bars {
  mix: string;
  macro: { mean: number; sd: number };
  micro: { mean: number; sd: number };
}

export interface HeatCell {
  label: string;
  mix: string;
  f1: number;
  /** Gold test sentences carrying the label. */
  support: number;
  /** Δ F1 of this label vs the baseline mix, with its (1 − alpha) CI. */
  delta?: { value: number; lo: number; hi: number };
}

export type CurveAxis = 'synthetic' | 'gold';

const COLORS = {
  macro: '#1f4e79',
  micro: '#8db9e0',
  ink: '#1f2937',
  muted: '#6b7280',
  axis: '#6b7280',
  grid: '#e5e7eb',
  better: '#2e7d4f',
  worse: '#b3322f',
  neutral: '#6b7280',
  empty: '#f3f4f6',
};
const FONT = 'system-ui, sans-serif';
/** Labels wider than this (estimated; there is no canvas to measure text) end in an ellipsis. */
const LABEL_LIMIT = 320;

const BASE_CONFIG: Config = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: null },
  axis: {
    labelFontSize: 11,
    titleFontSize: 12,
    titleFontWeight: 'normal',
    labelColor: COLORS.ink,
    titleColor: COLORS.ink,
    domainColor: COLORS.axis,
    tickColor: COLORS.axis,
    gridColor: COLORS.grid,
    labelLimit: LABEL_LIMIT,
  },
  legend: {
    labelFontSize: 11,
    titleFontSize: 11,
    titleFontWeight: 'normal',
    labelColor: COLORS.ink,
    titleColor: COLORS.ink,
    labelLimit: LABEL_LIMIT,
  },
  title: { fontSize: 11, fontWeight: 'normal', color: COLORS.muted, anchor: 'start' },
};

/** Every load refused: the specs carry their data inline, so a chart can never reach a file or the network. */
const NO_IO: Loader = (() => {
  const l = loader();
  const refuse = async (): Promise<never> => {
    throw new Error('report charts load nothing: data must be inline');
  };
  l.load = refuse;
  l.sanitize = refuse;
  l.http = refuse;
  l.file = refuse;
  return l;
})();

const escAttr = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Vega numbers its clip paths and gradients with module-wide counters, so the same chart gets other ids on a
 * second render and two charts on one page can collide. Renumber them per chart, in order of appearance, under
 * the chart's id. Only tags are rewritten: Vega escapes `<` and `>` in text and attribute values, so `<…>` is a tag.
 */
function renumberIds(svg: string, chartId: string): string {
  const ids = new Map<string, string>();
  for (const m of svg.matchAll(/<[^>]*>/g)) {
    for (const a of m[0].matchAll(/\sid="([^"]*)"/g)) {
      if (!ids.has(a[1]!)) ids.set(a[1]!, `${chartId}-d${ids.size + 1}`);
    }
  }
  if (!ids.size) return svg;
  return svg.replace(/<[^>]*>/g, (tag) =>
    tag
      .replace(/(\sid=")([^"]*)"/g, (all, pre: string, id: string) =>
        ids.has(id) ? `${pre}${escAttr(ids.get(id)!)}"` : all,
      )
      .replace(/url\(#([^)]*)\)/g, (all, id: string) => (ids.has(id) ? `url(#${escAttr(ids.get(id)!)})` : all))
      .replace(/(href=")#([^"]*)"/g, (all, pre: string, id: string) =>
        ids.has(id) ? `${pre}#${escAttr(ids.get(id)!)}"` : all,
      ),
  );
}

/**
 * Compiles a Vega-Lite spec and renders it to an SVG string: `id`, `class="chart"`, `role="img"` and `aria-label` on
 * the root, scaling down to its container (`max-width:100%;height:auto`). The same input gives the same string.
 */
export async function renderSvg(spec: TopLevelSpec, opts: { id: string; ariaLabel: string }): Promise<string> {
  // Warnings stay quiet; an error, or a refused load (which Vega only warns about), fails the render.
  const problems: string[] = [];
  const log = logger(Warn, undefined, (method, _level, args) => {
    const text = args.map(String).join(' ');
    if (method === 'error' || text.startsWith('Loading failed')) problems.push(text);
  });
  const vg = compile(spec, { config: BASE_CONFIG, logger: log }).spec;
  const view = new View(parse(vg), { renderer: 'none', loader: NO_IO, logger: log });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  if (problems.length) throw new Error(`renderSvg(${opts.id}): ${problems.join('; ')}`);
  const open = /^<svg\b([^>]*)>/.exec(svg);
  if (!open) throw new Error('renderSvg: Vega did not return an <svg> element');
  const kept = open[1]!.replace(/\s(?:id|class|role|aria-label|style)="[^"]*"/g, '');
  const root = `<svg id="${escAttr(opts.id)}" class="chart" role="img" aria-label="${escAttr(opts.ariaLabel)}" style="max-width:100%;height:auto"${kept}>`;
  return root + renumberIds(svg.slice(open[0].length), opts.id);
}

// ---------------------------------------------------------------------------------------------------------------
// Number text (the SVG is static: what a tooltip would say is printed instead).

const fin = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const num = (x: unknown): number | null => (fin(x) ? x : null);
/**
 * `+0.031` / `−0.004` (a true minus sign); `n/a` when not a finite number. A negative value that rounds to zero keeps
 * its sign (`−0.000`), so an interval that ends just below 0 does not read as touching it.
 */
export function signed(x: number, digits = 3): string {
  if (!fin(x)) return 'n/a';
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(digits)}`;
}
const fixed = (x: number, digits: number) => (fin(x) ? x.toFixed(digits) : 'n/a');
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
/** The CI lies entirely above (1) or below (−1) zero, or includes it (0). */
const ciSide = (lo: number, hi: number): 1 | -1 | 0 => (fin(lo) && fin(hi) ? (lo > 0 ? 1 : hi < 0 ? -1 : 0) : 0);

/** The confidence level of a (1 − alpha) interval as people write it: alpha 0.05 → `95%`, 0.1 → `90%`, 0.025 → `97.5%`. */
export function ciLevel(alpha: number): string {
  if (!fin(alpha) || alpha <= 0 || alpha >= 1) throw new Error(`ciLevel: alpha must lie in (0, 1), got ${alpha}`);
  return `${Number((100 * (1 - alpha)).toFixed(2))}%`;
}
/** The significance level the report's intervals use unless evaluate.alpha says otherwise. */
export const DEFAULT_ALPHA = 0.05;

/** Distinct values in order of first appearance. */
const firstSeen = (xs: Iterable<string>): string[] => [...new Set(xs)];

/** Axis labels of mixes split before each '+', one part per line (a fixed expression: no user text in it). */
const MIX_LABEL_EXPR = "split(replace(datum.label, /[+]/g, '\\n+'), '\\n')";

function noDataSpec(what: string): TopLevelSpec {
  return {
    width: 260,
    height: 36,
    data: { values: [{ text: `no data: ${what}` }] },
    mark: { type: 'text', fontSize: 13, color: COLORS.muted, align: 'left' },
    encoding: { text: { field: 'text', type: 'nominal' }, x: { value: 0 }, y: { value: 18 } },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Forest plot: Δ of one metric per mix vs its baseline, with the (1 − alpha) CI.

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

// ---------------------------------------------------------------------------------------------------------------
// Learning curve: macro-F1 (mean ± sd over seeds) as the share of synthetic or gold training rows grows.

const CURVE_X_TITLE: Record<CurveAxis, string> = {
  synthetic: 'share of synthetic rows',
  gold: 'share of gold training rows (by note)',
};

export function learningCurveSpec(points: readonly CurvePoint[], axis: CurveAxis): TopLevelSpec {
  if (!points.length) return noDataSpec(`no ${axis} learning curve`);
  const values = points.map((p) => ({
    mix: p.mix,
    share: num(p.share),
    n: p.n,
    mean: num(p.mean),
    lo: fin(p.mean) && fin(p.sd) ? p.mean - p.sd : null,
    hi: fin(p.mean) && fin(p.sd) ? p.mean + p.sd : null,
    desc: `${p.mix}, ${fin(p.share) ? Math.round(p.share * 100) : 'n/a'}% (${p.n} rows): macro-F1 ${fixed(p.mean, 3)} ± ${fixed(p.sd, 3)}`,
  }));
  const shares = values.map((v) => v.share).filter(fin);
  const domain = [Math.min(0, ...shares), Math.max(1, ...shares)];
  const x = {
    field: 'share',
    type: 'quantitative',
    title: CURVE_X_TITLE[axis],
    scale: { domain },
    axis: { format: '.0%', grid: true },
  } as const;
  const color = {
    field: 'mix',
    type: 'nominal',
    sort: firstSeen(points.map((p) => p.mix)),
    title: 'mix',
    legend: { orient: 'right' },
  } as const;
  return {
    width: 440,
    height: 260,
    data: { values },
    layer: [
      {
        mark: { type: 'errorbar', ticks: { size: 8 }, thickness: 1.3 },
        encoding: {
          x,
          y: {
            field: 'lo',
            type: 'quantitative',
            scale: { zero: false, nice: true },
            title: 'macro-F1 (mean ± sd over seeds)',
          },
          y2: { field: 'hi' },
          color,
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2, aria: false },
        encoding: { x, y: { field: 'mean', type: 'quantitative' }, color },
      },
      {
        mark: { type: 'point', filled: true, size: 50, opacity: 1 },
        encoding: {
          x,
          y: { field: 'mean', type: 'quantitative' },
          color,
          description: { field: 'desc', type: 'nominal' },
        },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// F1 bars: macro- and micro-F1 per mix, mean over seeds with ±1 sd whiskers.

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

export function f1BarSpec(mixes: readonly F1Bars[]): TopLevelSpec {
  if (!mixes.length) return noDataSpec('no mix was evaluated');
  const metrics = ['macro-F1', 'micro-F1'] as const;
  const values = mixes.flatMap((m) =>
    metrics.map((metric) => {
      const s = metric === 'macro-F1' ? m.macro : m.micro;
      const mean = num(s.mean);
      const sd = fin(s.sd) ? s.sd : 0;
      return {
        mix: m.mix,
        metric,
        mean,
        lo: mean === null ? null : clamp01(mean - sd),
        hi: mean === null ? null : clamp01(mean + sd),
        hasSd: sd > 0,
        text: fixed(s.mean, 2),
        desc: `${m.mix}: ${metric} ${fixed(s.mean, 3)} ± ${fixed(s.sd, 3)}`,
      };
    }),
  );
  const order = firstSeen(mixes.map((m) => m.mix));
  const x = {
    field: 'mix',
    type: 'nominal',
    sort: order,
    title: null,
    axis: { labelAngle: 0, labelExpr: MIX_LABEL_EXPR, labelFontSize: 11.5, ticks: false },
  } as const;
  const xOffset = { field: 'metric', type: 'nominal', sort: [...metrics] } as const;
  const yTitle = 'F1 on the gold test set';
  const gold = mixes.find((m) => m.mix === 'gold');
  const baseline = gold && mixes.length > 1 && fin(gold.macro.mean);
  return {
    width: { step: Math.max(96, Math.min(150, 760 / mixes.length)), for: 'position' },
    height: 240,
    title: { text: `whiskers: ±1 sd over seeds${baseline ? ' · dashed: gold-only macro-F1' : ''}` },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', cornerRadiusEnd: 2, width: { band: 0.9 } },
        encoding: {
          x,
          xOffset,
          y: {
            field: 'mean',
            type: 'quantitative',
            scale: { domain: [0, 1] },
            title: yTitle,
            axis: { format: '.1f', tickCount: 5 },
          },
          color: {
            field: 'metric',
            type: 'nominal',
            title: null,
            scale: { domain: [...metrics], range: [COLORS.macro, COLORS.micro] },
            legend: { orient: 'top', direction: 'horizontal' },
          },
          description: { field: 'desc', type: 'nominal' },
        },
      },
      {
        transform: [{ filter: 'datum.hasSd' }],
        mark: { type: 'errorbar', ticks: { size: 10 }, thickness: 1.3, color: COLORS.ink },
        encoding: { x, xOffset, y: { field: 'lo', type: 'quantitative', title: yTitle }, y2: { field: 'hi' } },
      },
      {
        mark: { type: 'text', baseline: 'bottom', dy: -4, fontSize: 10.5, color: COLORS.ink, aria: false },
        encoding: {
          x,
          xOffset,
          y: { field: 'hi', type: 'quantitative', title: yTitle },
          text: { field: 'text', type: 'nominal' },
        },
      },
      ...(baseline
        ? [
            {
              data: { values: [{ goldMacro: gold.macro.mean }] },
              mark: {
                type: 'rule',
                color: COLORS.macro,
                strokeDash: [4, 4],
                strokeWidth: 1,
                opacity: 0.7,
                aria: false,
              },
              encoding: { y: { field: 'goldMacro', type: 'quantitative', title: yTitle } },
            } satisfies Layer,
          ]
        : []),
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Label heatmap: per-label F1 for each mix; a cell whose Δ CI vs the baseline excludes 0 is bold with ▲ or ▼.

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

// ---------------------------------------------------------------------------------------------------------------
// Rendered charts, with the ids the report's HTML uses.

/** `id`: the SVG's id (default `forest-plot`; another one for a second plot on the page, e.g. the review's effect). */
export function forestPlotSvg(rows: readonly ForestRow[], opts: ForestOptions & { id?: string } = {}): Promise<string> {
  const metric = opts.metric ?? 'macro-F1';
  return renderSvg(forestPlotSpec(rows, opts), {
    id: opts.id ?? 'forest-plot',
    ariaLabel: `Forest plot: Δ ${metric} of each training mix vs its baseline, with ${ciLevel(opts.alpha ?? DEFAULT_ALPHA)} confidence intervals`,
  });
}

export function learningCurveSvg(points: readonly CurvePoint[], axis: CurveAxis): Promise<string> {
  return renderSvg(learningCurveSpec(points, axis), {
    id: `curve-${axis}`,
    ariaLabel: `Learning curve: macro-F1 (mean ± sd over seeds) against the ${CURVE_X_TITLE[axis]}`,
  });
}

export function f1BarSvg(mixes: readonly F1Bars[]): Promise<string> {
  return renderSvg(f1BarSpec(mixes), {
    id: 'f1-chart',
    ariaLabel: 'Macro- and micro-F1 per training mix with standard deviation over seeds',
  });
}

export function labelHeatmapSvg(cells: readonly HeatCell[], opts: HeatmapOptions = {}): Promise<string> {
  return renderSvg(labelHeatmapSpec(cells, opts), {
    id: 'label-heatmap',
    ariaLabel: 'Per-label F1 for each training mix',
  });
}
