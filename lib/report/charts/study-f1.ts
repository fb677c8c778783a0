// The study chart: macro-F1 per mix against one numeric varied key, one line per (mix, other values).
import type { TopLevelSpec } from './render.js';
import type { StudyReport } from '../study-model.js';

const f3 = (x: number | undefined): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** Macro-F1 per mix against one numeric varied key: one line per (mix, other values). */
export function studyF1Spec(report: StudyReport, key: string): TopLevelSpec {
  const others = report.keys.filter((k) => k !== key);
  const values = report.variants.flatMap((v) =>
    Object.entries(v.mixes).map(([mix, m]) => ({
      x: v.values[key] as number,
      f1: m.macroF1.mean,
      series: [mix, ...others.map((k) => `${k.split('.').at(-1)}=${JSON.stringify(v.values[k])}`)].join(' · '),
      desc: `${v.id} ${mix}: macro-F1 ${f3(m.macroF1.mean)}`,
    })),
  );
  const x = { field: 'x', type: 'quantitative', title: key, scale: { zero: false } } as const;
  const y = {
    field: 'f1',
    type: 'quantitative',
    title: 'macro-F1 (mean over seeds)',
    scale: { zero: false, nice: true },
  } as const;
  const color = {
    field: 'series',
    type: 'nominal',
    title: 'mix and other values',
    legend: { orient: 'right', labelLimit: 320 },
  } as const;
  return {
    width: 440,
    height: 260,
    data: { values },
    layer: [
      { mark: { type: 'line', strokeWidth: 2, aria: false }, encoding: { x, y, color } },
      {
        mark: { type: 'point', filled: true, size: 50, opacity: 1 },
        encoding: { x, y, color, description: { field: 'desc', type: 'nominal' } },
      },
    ],
  };
}
