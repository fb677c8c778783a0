// What `npm run bench` concludes from its results: which goals were met or missed, which benchmarks were skipped or
// broke, and the exit status (1 when a goal was missed, a benchmark gave no verdict, or one broke; skips are listed).
import type { BenchResult } from './common.js';

/** A benchmark whose process failed or wrote no result. */
export interface BrokenRun {
  id: string;
  title: string;
  error: string;
  seconds: number;
}

/** A benchmark that was not started here, and why (e.g. an opt-in encoder that is not installed). */
export interface NotRun {
  id: string;
  title: string;
  why: string;
}

export interface BenchVerdict {
  passed: string[];
  /** Benchmarks with no goal (goal 'none set (…)'): a figure for information. */
  information: string[];
  /** Goal missed, or no verdict (a NaN figure or an unreadable goal): `id: why`. */
  missed: string[];
  skipped: string[];
  broken: string[];
  exitCode: 0 | 1;
}

export function benchVerdict(results: (BenchResult | BrokenRun)[], notRun: NotRun[] = []): BenchVerdict {
  const v: BenchVerdict = { passed: [], information: [], missed: [], skipped: [], broken: [], exitCode: 0 };
  for (const r of results) {
    if ('error' in r) v.broken.push(`${r.id}: ${r.error}`);
    else if (r.skipped !== undefined) v.skipped.push(`${r.id}: ${r.skipped}`);
    else if (r.pass === true) v.passed.push(r.id);
    else if (r.pass === null && /^none set\b/.test(r.goal)) v.information.push(r.id);
    else if (r.pass === false)
      v.missed.push(`${r.id}: ${goalText(r)} not met (figure ${r.figure.value} ${r.figure.unit})`);
    else v.missed.push(`${r.id}: no verdict (figure ${r.figure.value} ${r.figure.unit}, goal ${goalText(r)})`);
  }
  for (const n of notRun) v.skipped.push(`${n.id}: ${n.why}`);
  v.exitCode = v.missed.length || v.broken.length ? 1 : 0;
  return v;
}

const goalText = (r: BenchResult): string => (r.goalOn === 'figure' ? `figure ${r.goal}` : `ratio ${r.goal}`);

/** The closing lines of `npm run bench`. */
export function verdictLines(v: BenchVerdict): string[] {
  const list = (what: string, items: string[]) =>
    items.length ? [`${what} (${items.length}):`, ...items.map((i) => `  ${i}`)] : [];
  return [
    `passed (${v.passed.length}): ${v.passed.join(', ') || 'none'}`,
    ...(v.information.length
      ? [`no goal, figure for information (${v.information.length}): ${v.information.join(', ')}`]
      : []),
    ...list('MISSED', v.missed),
    ...list('BROKEN', v.broken),
    ...list('skipped, not passed', v.skipped),
    v.exitCode
      ? `npm run bench: FAILED (${v.missed.length} missed, ${v.broken.length} broken)`
      : `npm run bench: every benchmark that ran met its goal${v.skipped.length ? ` (${v.skipped.length} skipped)` : ''}`,
  ];
}
