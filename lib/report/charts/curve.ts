// The learning curve: macro-F1 (mean ± sd over seeds) as the share of synthetic or gold training rows grows.
import { renderSvg, type TopLevelSpec } from './render.js';
import { fin, num, fixed, firstSeen, noDataSpec } from './common.js';

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

export type CurveAxis = 'synthetic' | 'gold';

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

export function learningCurveSvg(points: readonly CurvePoint[], axis: CurveAxis): Promise<string> {
  return renderSvg(learningCurveSpec(points, axis), {
    id: `curve-${axis}`,
    ariaLabel: `Learning curve: macro-F1 (mean ± sd over seeds) against the ${CURVE_X_TITLE[axis]}`,
  });
}
