// The F1 bars: macro- and micro-F1 per mix, mean over seeds with ±1 sd whiskers.
import { renderSvg, type TopLevelSpec } from './render.js';
import { fin, num, fixed, firstSeen, MIX_LABEL_EXPR, noDataSpec, type Layer } from './common.js';
import { COLORS } from '../theme.js';

export interface F1Bars {
  mix: string;
  macro: { mean: number; sd: number };
  micro: { mean: number; sd: number };
}

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

export function f1BarSvg(mixes: readonly F1Bars[]): Promise<string> {
  return renderSvg(f1BarSpec(mixes), {
    id: 'f1-chart',
    ariaLabel: 'Macro- and micro-F1 per training mix with standard deviation over seeds',
  });
}
