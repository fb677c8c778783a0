// The self-check verdict chart: per checked set, the shares of keep, fix and reject as one stacked bar.
import { renderSvg, type TopLevelSpec } from './render.js';
import { noDataSpec } from './common.js';
import { num, pct } from '../format.js';
import { colorFor, orderSources, VERDICT_COLORS } from '../theme.js';

export interface VerdictRow {
  source: string;
  verdict: string;
  n: number;
}

/** keep, fix, reject, then any other verdict by name. */
export function orderVerdicts(verdicts: Iterable<string>): string[] {
  const rank = (v: string) => {
    const i = ['keep', 'fix', 'reject'].indexOf(v);
    return i < 0 ? 99 : i;
  };
  return [...new Set(verdicts)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A segment under this share prints no percent. */
const MIN_TEXT_SHARE = 0.09;

export function verdictSpec(rows: readonly VerdictRow[]): TopLevelSpec {
  const kept = rows.filter((r) => num(r.n) > 0);
  if (!kept.length) return noDataSpec('no self-check verdicts');
  const verdicts = orderVerdicts(kept.map((r) => r.verdict));
  const sets = orderSources(kept.map((r) => r.source));
  const n = (s: string, v: string) =>
    kept.filter((x) => x.source === s && x.verdict === v).reduce((t, x) => t + num(x.n), 0);
  const values = sets.flatMap((s) => {
    const total = verdicts.reduce((t, v) => t + n(s, v), 0);
    let x0 = 0;
    return verdicts.flatMap((v) => {
      const k = n(s, v);
      if (!k) return [];
      const share = k / total;
      const seg = {
        set: s,
        verdict: v,
        x0,
        x1: x0 + share,
        mid: x0 + share / 2,
        text: pct(k, total),
        showText: share >= MIN_TEXT_SHARE,
        desc: `${s} · ${v}: ${k} (${pct(k, total)})`,
      };
      x0 += share;
      return [seg];
    });
  });
  const y = { field: 'set', type: 'nominal', sort: sets, title: null, axis: { ticks: false, domain: false } } as const;
  return {
    width: 360,
    height: { step: 26 },
    data: { values },
    layer: [
      {
        mark: { type: 'bar', height: { band: 0.7 } },
        encoding: {
          y,
          x: {
            field: 'x0',
            type: 'quantitative',
            title: 'share of the checked rows',
            scale: { domain: [0, 1] },
            axis: { format: '.0%', tickCount: 5, grid: true },
          },
          x2: { field: 'x1' },
          color: {
            field: 'verdict',
            type: 'nominal',
            title: null,
            scale: { domain: verdicts, range: verdicts.map((v, i) => colorFor(VERDICT_COLORS, v, i)) },
            legend: { orient: 'top', direction: 'horizontal' },
          },
          description: { field: 'desc', type: 'nominal' },
        },
      },
      {
        transform: [{ filter: 'datum.showText' }],
        mark: { type: 'text', baseline: 'middle', fontSize: 10.5, color: 'white', aria: false },
        encoding: { y, x: { field: 'mid', type: 'quantitative' }, text: { field: 'text', type: 'nominal' } },
      },
    ],
  };
}

export function verdictSvg(rows: readonly VerdictRow[]): Promise<string> {
  return renderSvg(verdictSpec(rows), { id: 'verdict-chart', ariaLabel: 'Self-check verdict shares per checked set' });
}
