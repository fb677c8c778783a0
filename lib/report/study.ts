// The study report: study.json (one row per variant with its varied values and its runs' F1 and Δ) and study.html.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readJson, writeFileAtomic, writeJson } from '../run/run-dir.js';
import { renderSvg, type TopLevelSpec } from './charts.js';
import type { Report } from './report.js';
import type { MixComparison } from '../evaluate/compare.js';
import type { StudyVariantOutcome, VariantStatus } from '../run/study.js';

export type { StudyVariantOutcome, VariantStatus };

export interface StudyVariantRow extends StudyVariantOutcome {
  /** Per mix: macro- and micro-F1 (mean and sd over seeds), from the run's report.json. */
  mixes: Record<string, { macroF1: { mean: number; sd: number }; microF1: { mean: number; sd: number } }>;
  /** Per mix: Δ against the baseline with CIs and p, where the run computed them. */
  comparisons: Record<string, Pick<MixComparison, 'baseline' | 'macroF1' | 'microF1'>>;
  reportPath: string | null;
}

export interface StudyReport {
  study: string;
  workflowId: string;
  studyDir: string;
  /** The varied key paths, in the study file's order. */
  keys: string[];
  variants: StudyVariantRow[];
  counts: Record<VariantStatus, number>;
  generatedAt: string;
}

export interface StudyReportInput {
  study: string;
  workflowId: string;
  studyDir: string;
  keys: string[];
  variants: StudyVariantOutcome[];
}

export const STUDY_FILES = { json: 'study.json', html: 'study.html' } as const;

export function buildStudyReport(input: StudyReportInput): StudyReport {
  const counts = {
    completed: 0,
    failed: 0,
    cancelled: 0,
    terminated: 0,
    'timed out': 0,
    pending: 0,
    running: 0,
  } satisfies Record<VariantStatus, number>;
  const variants = input.variants.map((v): StudyVariantRow => {
    counts[v.status]++;
    const reportPath = join(v.runDir, 'report.json');
    if (!existsSync(reportPath)) return { ...v, mixes: {}, comparisons: {}, reportPath: null };
    const r = readJson<Report>(reportPath);
    const mixes = Object.fromEntries(
      Object.entries(r.mixes).map(([m, x]) => [m, { macroF1: x.macroF1, microF1: x.microF1 }]),
    );
    const comparisons = Object.fromEntries(
      Object.entries(r.comparisons ?? {}).map(([m, c]) => [
        m,
        { baseline: c.baseline, macroF1: c.macroF1, microF1: c.microF1 },
      ]),
    );
    return { ...v, mixes, comparisons, reportPath };
  });
  return {
    study: input.study,
    workflowId: input.workflowId,
    studyDir: input.studyDir,
    keys: input.keys,
    variants,
    counts,
    generatedAt: new Date().toISOString(),
  };
}

export async function writeStudyReport(input: StudyReportInput): Promise<{ jsonPath: string; htmlPath: string }> {
  const report = buildStudyReport(input);
  const jsonPath = join(input.studyDir, STUDY_FILES.json);
  const htmlPath = join(input.studyDir, STUDY_FILES.html);
  writeJson(jsonPath, report);
  writeFileAtomic(htmlPath, await renderStudyHtml(report));
  return { jsonPath, htmlPath };
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
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

/** The varied keys whose values are all numbers (and more than one): those get a plot. */
export function numericKeys(report: StudyReport): string[] {
  return report.keys.filter((k) => {
    const vs = new Set(report.variants.map((v) => v.values[k]));
    return vs.size > 1 && [...vs].every((x) => typeof x === 'number' && Number.isFinite(x));
  });
}

export async function renderStudyHtml(report: StudyReport): Promise<string> {
  const mixes = [...new Set(report.variants.flatMap((v) => Object.keys(v.mixes)))];
  const head = [
    'variant',
    ...report.keys,
    'status',
    ...mixes.map((m) => `${m} macro-F1`),
    ...mixes.flatMap((m) => (report.variants.some((v) => v.comparisons[m]) ? [`${m} Δ [CI]`] : [])),
  ];
  const deltaMixes = mixes.filter((m) => report.variants.some((v) => v.comparisons[m]));
  const rows = report.variants.map((v) => {
    const cells = [
      v.id,
      ...report.keys.map((k) => JSON.stringify(v.values[k])),
      v.status + (v.error ? `: ${v.error}` : ''),
      ...mixes.map((m) => (v.mixes[m] ? `${f3(v.mixes[m]!.macroF1.mean)} ± ${f3(v.mixes[m]!.macroF1.sd)}` : '')),
      ...deltaMixes.map((m) => {
        const c = v.comparisons[m]?.macroF1;
        return c ? `${f3(c.delta)} [${f3(c.ci[0])}, ${f3(c.ci[1])}]` : '';
      }),
    ];
    return `<tr>${cells.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`;
  });
  const charts: string[] = [];
  for (const [i, key] of numericKeys(report).entries()) {
    const svg = await renderSvg(studyF1Spec(report, key), {
      id: `study-f1-${i + 1}`,
      ariaLabel: `macro-F1 against ${key}`,
    });
    charts.push(`<h2>Macro-F1 against ${esc(key)}</h2>\n${svg}`);
  }
  const c = report.counts;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Study ${esc(report.study)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}</style>
</head><body>
<h1>Study ${esc(report.study)}</h1>
<p>${report.variants.length} variants: ${c.completed} completed${c.failed ? `, ${c.failed} failed` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}. Workflow <code>${esc(report.workflowId)}</code>.</p>
<table id="variants"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table>
${charts.join('\n')}
<p>Generated ${esc(report.generatedAt)}.</p>
</body></html>
`;
}
