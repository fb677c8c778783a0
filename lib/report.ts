// The run report: report.json (the shape users' scripts read) and a self-contained report.html for people.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { meanSd } from './metrics.js';
import { readJson, readRunExperiment, RUN_FILES, writeFileAtomic, writeJson } from './run-dir.js';
import { evalPath, type MixEvaluation } from './training.js';
import type { MergeSummary } from './datasets.js';
import type { LlmUsageTotals, RunProgress } from './run-state.js';

type Stat = { mean: number; sd: number };

export interface MixReport {
  microF1: Stat;
  macroF1: Stat;
  perLabel: Record<string, { precision: number; recall: number; f1: number; f1Sd: number; support: number }>;
  seeds: number[];
  trainedOn: number[];
}

export interface Report {
  runId: string;
  experiment: string;
  taxonomyVersion: string;
  workflowId: string;
  uiUrl: string | null;
  mixes: Record<string, MixReport>;
  llm: LlmUsageTotals & { byStage: Record<string, LlmUsageTotals> };
  datasets: Record<string, number>;
  selfCheck: MergeSummary['verdicts'];
  composition: MergeSummary['composition'];
  stages: RunProgress['stages'];
  counts: Record<string, number>;
  generatedAt: string;
}

export interface ReportInput {
  runDir: string;
  progress: RunProgress;
  workflowId: string;
  uiUrl?: string;
}

export function buildReport(input: ReportInput): Report {
  const { runDir, progress } = input;
  const e = readRunExperiment(runDir);
  const summaryFile = join(runDir, RUN_FILES.datasets, 'summary.json');
  const summary: MergeSummary = existsSync(summaryFile) ? readJson(summaryFile) : { counts: {}, composition: [], verdicts: [] };
  const mixes: Record<string, MixReport> = {};
  for (const mix of e.evaluate.mixes) {
    const runs = e.train.seeds.map((seed) => evalPath(runDir, mix, seed)).filter(existsSync).map((f) => readJson<MixEvaluation>(f));
    if (!runs.length) continue;
    const perLabel: MixReport['perLabel'] = {};
    for (const label of e.labels) {
      const scores = runs.map((r) => r.metrics.perLabel[label]!);
      perLabel[label] = {
        precision: meanSd(scores.map((s) => s.precision)).mean,
        recall: meanSd(scores.map((s) => s.recall)).mean,
        f1: meanSd(scores.map((s) => s.f1)).mean,
        f1Sd: meanSd(scores.map((s) => s.f1)).sd,
        support: scores[0]?.support ?? 0,
      };
    }
    mixes[mix] = {
      microF1: meanSd(runs.map((r) => r.metrics.microF1)),
      macroF1: meanSd(runs.map((r) => r.metrics.macroF1)),
      perLabel,
      seeds: runs.map((r) => r.seed),
      trainedOn: runs.map((r) => r.trainedOn),
    };
  }
  const c = summary.counts;
  return {
    runId: progress.runId,
    experiment: e.name,
    taxonomyVersion: e.taxonomyVersion,
    workflowId: input.workflowId,
    uiUrl: input.uiUrl ?? null,
    mixes,
    llm: { ...progress.llm, byStage: progress.llmByStage },
    datasets: {
      gold: c.gold_train ?? 0,
      goldTest: c.gold_test ?? 0,
      silver: c.silver ?? 0,
      silverUsable: c.silver_usable ?? 0,
      bronze: c.bronze ?? 0,
      bronzeUsable: c.bronze_usable ?? 0,
    },
    selfCheck: summary.verdicts,
    composition: summary.composition,
    stages: progress.stages,
    counts: progress.counts,
    generatedAt: new Date().toISOString(),
  };
}

export function writeReport(input: ReportInput): { reportPath: string; htmlPath: string } {
  const report = buildReport(input);
  const reportPath = join(input.runDir, RUN_FILES.report);
  const htmlPath = join(input.runDir, RUN_FILES.reportHtml);
  writeJson(reportPath, report);
  writeFileAtomic(htmlPath, renderReportHtml(report));
  return { reportPath, htmlPath };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const f3 = (x: number) => x.toFixed(3);

/** A single HTML file with inline SVG charts: no scripts, no network. */
export function renderReportHtml(r: Report): string {
  const mixes = Object.keys(r.mixes);
  const labels = Object.keys(r.mixes[mixes[0] ?? '']?.perLabel ?? {});
  const barW = 56;
  const chartH = 220;
  const bars = mixes
    .map((m, i) => {
      const { mean, sd } = r.mixes[m]!.macroF1;
      const micro = r.mixes[m]!.microF1.mean;
      const x = 50 + i * (barW * 2 + 30);
      const y = (v: number) => 20 + (1 - v) * (chartH - 40);
      return `<g class="bar" data-mix="${esc(m)}">
  <rect x="${x}" y="${y(mean)}" width="${barW}" height="${y(0) - y(mean)}" fill="#3b6ea5"><title>${esc(m)} macro-F1 ${f3(mean)} ± ${f3(sd)}</title></rect>
  <line x1="${x + barW / 2}" x2="${x + barW / 2}" y1="${y(Math.min(1, mean + sd))}" y2="${y(Math.max(0, mean - sd))}" stroke="#111"/>
  <rect x="${x + barW}" y="${y(micro)}" width="${barW}" height="${y(0) - y(micro)}" fill="#9cc3e6"><title>${esc(m)} micro-F1 ${f3(micro)}</title></rect>
  <text x="${x + barW}" y="${chartH + 4}" text-anchor="middle" font-size="11">${esc(m)}</text></g>`;
    })
    .join('\n');
  const chartW = 60 + mixes.length * (barW * 2 + 30);
  const heat = labels
    .map((l) => `<tr><th>${esc(l)}</th>${mixes.map((m) => {
      const f = r.mixes[m]!.perLabel[l]!.f1;
      return `<td class="cell" style="background:hsl(210,60%,${Math.round(95 - f * 55)}%)" title="P ${f3(r.mixes[m]!.perLabel[l]!.precision)} R ${f3(r.mixes[m]!.perLabel[l]!.recall)}">${f3(f)}</td>`;
    }).join('')}<td>${r.mixes[mixes[0]!]!.perLabel[l]!.support}</td></tr>`)
    .join('\n');
  const stageRows = Object.entries(r.stages).map(([s, p]) => `<tr><td>${esc(s)}</td><td>${p.status}</td><td>${p.total ? `${p.done}/${p.total}` : ''}</td><td>${p.failedPages || ''}</td></tr>`).join('');
  const usage = Object.entries(r.llm.byStage).map(([s, u]) => `<tr><td>${esc(s)}</td><td>${u.calls}</td><td>${u.cacheHits}</td><td>${u.promptTokens}</td><td>${u.completionTokens}</td><td>${u.failures}</td></tr>`).join('');
  const verdicts = r.selfCheck.map((v) => `<tr><td>${esc(v.source)}</td><td>${esc(v.verdict)}</td><td>${v.n}</td></tr>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>clinsynth report — ${esc(r.runId)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{text-align:left}h2{margin-top:1.5em}</style></head>
<body>
<h1>clinsynth report: ${esc(r.runId)}</h1>
<p>Experiment <b>${esc(r.experiment)}</b>, taxonomy ${esc(r.taxonomyVersion)}, generated ${esc(r.generatedAt)}.
${r.uiUrl ? `Workflow <a href="${esc(r.uiUrl)}">${esc(r.workflowId)}</a> in the Temporal UI.` : `Workflow ${esc(r.workflowId)}.`}</p>
<h2>Macro-F1 (dark, ± sd over seeds) and micro-F1 (light) per mix, on the gold test set</h2>
<svg id="f1-chart" width="${chartW}" height="${chartH + 20}" role="img" aria-label="F1 per mix">
<line x1="45" x2="${chartW}" y1="${chartH - 20}" y2="${chartH - 20}" stroke="#999"/>
${[0, 0.25, 0.5, 0.75, 1].map((v) => `<text x="40" y="${24 + (1 - v) * (chartH - 40)}" text-anchor="end" font-size="10">${v}</text>`).join('')}
${bars}
</svg>
<h2>Per-label F1 (labels × mixes)</h2>
<table id="heatmap"><tr><th>label</th>${mixes.map((m) => `<th>${esc(m)}</th>`).join('')}<th>support</th></tr>
${heat}</table>
<h2>Datasets</h2>
<table><tr>${Object.keys(r.datasets).map((k) => `<th>${esc(k)}</th>`).join('')}</tr><tr>${Object.values(r.datasets).map((v) => `<td>${v}</td>`).join('')}</tr></table>
<h2>Self-check verdicts</h2><table><tr><th>set</th><th>verdict</th><th>rows</th></tr>${verdicts}</table>
<h2>LLM usage</h2><table><tr><th>stage</th><th>calls</th><th>cache hits</th><th>prompt tokens</th><th>completion tokens</th><th>unusable answers</th></tr>${usage}
<tr><th>total</th><td>${r.llm.calls}</td><td>${r.llm.cacheHits}</td><td>${r.llm.promptTokens}</td><td>${r.llm.completionTokens}</td><td>${r.llm.failures}</td></tr></table>
<h2>Stages</h2><table><tr><th>stage</th><th>status</th><th>pages</th><th>failed pages</th></tr>${stageRows}</table>
</body></html>
`;
}
