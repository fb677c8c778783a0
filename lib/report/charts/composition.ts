// The composition chart: usable training rows per label, stacked by source (gold, silver, bronze, reviewed).
import { renderSvg, type TopLevelSpec } from './render.js';
import { noDataSpec } from './common.js';
import { num, pct } from '../format.js';
import { COLORS, colorFor, orderSources, SOURCE_COLORS } from '../theme.js';

export interface CompositionRow {
  label: string;
  source: string;
  n: number;
}

/** The label 'none' (no label) is spelled out on the axis. */
const NONE_TEXT = 'none (no label)';
const BAR_WIDTH = 520;
/** A segment narrower than this many pixels prints no number. */
const MIN_TEXT_PX = 26;

/** `labelOrder`: the report's label order; labels not in it follow by name, `none` last. */
export function compositionSpec(rows: readonly CompositionRow[], labelOrder: readonly string[] = []): TopLevelSpec {
  const kept = rows.filter((c) => num(c.n) > 0);
  if (!kept.length) return noDataSpec('no composition recorded');
  const sources = orderSources(kept.map((c) => c.source));
  const rank = (l: string) => (l === 'none' ? 1e6 : labelOrder.indexOf(l) < 0 ? 1e5 : labelOrder.indexOf(l));
  const labels = [...new Set(kept.map((c) => c.label))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const n = (l: string, s: string) =>
    kept.filter((c) => c.label === l && c.source === s).reduce((t, c) => t + num(c.n), 0);
  const total = (l: string) => sources.reduce((t, s) => t + n(l, s), 0);
  const maxTotal = Math.max(1, ...labels.map(total));
  const rowOf = (l: string) => (l === 'none' ? NONE_TEXT : l);
  const segments = labels.flatMap((l) => {
    let x0 = 0;
    return sources.flatMap((s) => {
      const v = n(l, s);
      if (!v) return [];
      const seg = {
        row: rowOf(l),
        source: s,
        n: v,
        x0,
        x1: x0 + v,
        mid: x0 + v / 2,
        showText: (v / maxTotal) * BAR_WIDTH > MIN_TEXT_PX,
        desc: `${l} · ${s}: ${v} training row${v === 1 ? '' : 's'} (${pct(v, total(l))} of the label)`,
      };
      x0 += v;
      return [seg];
    });
  });
  const y = {
    field: 'row',
    type: 'nominal',
    sort: labels.map(rowOf),
    title: null,
    axis: {
      labelFontSize: 12,
      ticks: false,
      domain: false,
      labelFontStyle: { condition: { test: `datum.value === '${NONE_TEXT}'`, value: 'italic' }, value: 'normal' },
    },
  } as const;
  const x = {
    field: 'x0',
    type: 'quantitative',
    title: 'usable training rows',
    scale: { domain: [0, maxTotal] as number[], nice: false },
    axis: { grid: true, tickCount: 5, format: 'd' },
  } as const;
  return {
    width: BAR_WIDTH,
    height: { step: 26 },
    layer: [
      {
        data: { values: segments },
        mark: { type: 'bar', height: { band: 0.7 } },
        encoding: {
          y,
          x,
          x2: { field: 'x1' },
          color: {
            field: 'source',
            type: 'nominal',
            title: null,
            scale: { domain: sources, range: sources.map((s, i) => colorFor(SOURCE_COLORS, s, i)) },
            legend: { orient: 'top', direction: 'horizontal' },
          },
          description: { field: 'desc', type: 'nominal' },
        },
      },
      {
        data: { values: segments },
        transform: [{ filter: 'datum.showText' }],
        mark: { type: 'text', baseline: 'middle', fontSize: 10.5, color: 'white', aria: false },
        encoding: { y, x: { field: 'mid', type: 'quantitative' }, text: { field: 'n', type: 'quantitative' } },
      },
      {
        data: { values: labels.map((l) => ({ row: rowOf(l), total: total(l) })) },
        mark: {
          type: 'text',
          align: 'left',
          baseline: 'middle',
          dx: 6,
          fontSize: 12,
          fontWeight: 'bold',
          color: COLORS.ink,
          aria: false,
        },
        encoding: { y, x: { field: 'total', type: 'quantitative' }, text: { field: 'total', type: 'quantitative' } },
      },
    ],
  };
}

export function compositionSvg(rows: readonly CompositionRow[], labelOrder: readonly string[] = []): Promise<string> {
  return renderSvg(compositionSpec(rows, labelOrder), {
    id: 'composition-chart',
    ariaLabel: 'Usable training rows per label and source',
  });
}
