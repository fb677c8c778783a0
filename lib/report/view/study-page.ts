// study.html: the variants table (varied values, status, macro-F1 and Δ per mix) and a macro-F1 chart per numeric key.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { renderSvg } from '../charts/render.js';
import { studyF1Spec } from '../charts/study-f1.js';
import type { StudyReport } from '../study-model.js';

const f3 = (x: number | undefined): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(3) : 'n/a');

const STUDY_CSS =
  'body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}';

/** The varied keys whose values are all numbers (and more than one): those get a plot. */
export function numericKeys(report: StudyReport): string[] {
  return report.keys.filter((k) => {
    const vs = new Set(report.variants.map((v) => v.values[k]));
    return vs.size > 1 && [...vs].every((x) => typeof x === 'number' && Number.isFinite(x));
  });
}

export async function renderStudyHtml(report: StudyReport): Promise<string> {
  const mixes = [...new Set(report.variants.flatMap((v) => Object.keys(v.mixes)))];
  const deltaMixes = mixes.filter((m) => report.variants.some((v) => v.comparisons[m]));
  const head = [
    'variant',
    ...report.keys,
    'status',
    ...mixes.map((m) => `${m} macro-F1`),
    ...deltaMixes.map((m) => `${m} Δ [CI]`),
  ];
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
    return html`<tr>${cells.map((c) => html`<td>${c}</td>`)}</tr>\n`;
  });
  const charts: SafeHtml[] = [];
  for (const [i, key] of numericKeys(report).entries()) {
    const svg = await renderSvg(studyF1Spec(report, key), {
      id: `study-f1-${i + 1}`,
      ariaLabel: `macro-F1 against ${key}`,
    });
    charts.push(html`<h2>Macro-F1 against ${key}</h2>\n${trusted(svg)}\n`);
  }
  const c = report.counts;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Study ${report.study}</title>
<style>${trusted(STUDY_CSS)}</style>
</head><body>
<h1>Study ${report.study}</h1>
<p>${report.variants.length} variants: ${c.completed} completed${c.failed ? `, ${c.failed} failed` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}. Workflow <code>${report.workflowId}</code>.</p>
<table id="variants"><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>
${rows}</tbody></table>
${charts}<p>Generated ${report.generatedAt}.</p>
</body></html>
`.value;
}
