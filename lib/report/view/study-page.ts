// study.html: the variants table (varied values, status, macro-F1 and Δ per mix), each arm against the baseline arm
// (Δ macro-F1 with its paired-bootstrap CI, table and forest plot) and a macro-F1 chart per numeric key.
import { html, trusted, type SafeHtml } from '../../run/html.js';
import { renderSvg } from '../charts/render.js';
import { studyF1Spec } from '../charts/study-f1.js';
import { forestPlotSvg, type ForestRow } from '../charts/forest.js';
import { ciLevel, DEFAULT_ALPHA } from '../format.js';
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
  const arms = await armsSection(report);
  const c = report.counts;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Study ${report.study}</title>
<style>${trusted(STUDY_CSS)}</style>
</head><body>
<h1>Study ${report.study}</h1>
<p>${report.variants.length} variants: ${c.completed} completed${c.failed ? `, ${c.failed} failed` : ''}${c.cancelled ? `, ${c.cancelled} cancelled` : ''}. Workflow <code>${report.workflowId}</code>.</p>
<table id="variants"><thead><tr>${head.map((h) => html`<th>${h}</th>`)}</tr></thead><tbody>
${rows}</tbody></table>
${arms}${charts}<p>Generated ${report.generatedAt}.</p>
</body></html>
`.value;
}

/** The arms against the baseline arm: per arm and mix, Δ macro-F1 [CI] and p (Holm), and the same as a forest plot. */
async function armsSection(report: StudyReport): Promise<SafeHtml | string> {
  const rows: ForestRow[] = report.variants.flatMap((v) =>
    Object.entries(v.arms ?? {}).map(([mix, a]) => ({
      mix: `${v.id} · ${mix}`,
      baseline: a.baseline,
      delta: a.macroF1.delta,
      lo: a.macroF1.ci[0],
      hi: a.macroF1.ci[1],
      p: a.macroF1.p,
      pHolm: a.macroF1.pHolm,
    })),
  );
  if (!rows.length || !report.baseline) return '';
  const alpha = report.armAlpha ?? DEFAULT_ALPHA;
  const level = ciLevel(alpha);
  const table = rows.map(
    (r) =>
      html`<tr><td>${r.mix}</td><td>${f3(r.delta)} [${f3(r.lo)}, ${f3(r.hi)}]</td><td>${f3(r.p)}</td><td>${f3(r.pHolm)}</td></tr>\n`,
  );
  const svg = await forestPlotSvg(
    rows.map((r) => ({ ...r, baseline: report.baseline! })),
    { alpha, id: 'study-arms' },
  );
  return html`<h2>Each arm against the baseline arm ${report.baseline}</h2>
<p>Δ macro-F1 of the same mix, this arm minus the baseline arm, with its ${level} paired-bootstrap CI (${report.armResamples ?? ''} resamples of the same gold notes) and p (Holm-adjusted over all arms and mixes).</p>
<table id="arms"><thead><tr><th>arm · mix</th><th>Δ macro-F1 [${level} CI]</th><th>p</th><th>p (Holm)</th></tr></thead><tbody>
${table}</tbody></table>
${trusted(svg)}
`;
}
