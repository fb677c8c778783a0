// The run report: report.json (the shape users' scripts read) and a self-contained report.html for people.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { meanSd } from '../evaluate/metrics.js';
import { llmAgreement } from '../evaluate/agreement.js';
import { readJson, readRunExperiment, RUN_FILES, writeFileAtomic, writeJson } from '../run/run-dir.js';
import { readEvaluations } from '../evaluate/predictions.js';
import {
  COMPARISONS_FILE,
  compareMixes,
  type Comparisons,
  type CurveRow,
  type MixComparison,
} from '../evaluate/compare.js';
import {
  ciText,
  f1BarSvg,
  forestPlotSvg,
  labelHeatmapSvg,
  learningCurveSvg,
  pText,
  signed,
  type HeatCell,
} from './charts.js';
import type { MergeSummary } from '../dataset/merge.js';
import type { BatchProgress, LlmUsageTotals, RunProgress } from '../run/run-state.js';
import { reviewSummary, type ReviewSummary } from '../review/summary.js';
import {
  measureAgreement,
  reviewerKappa,
  type AgreementWithCi,
  type ReviewerKappa,
} from '../evaluate/label-agreement.js';
import { readFidelity, type FidelityReport } from '../fidelity/run-fidelity.js';
import { agreementCiSection } from './agreement-ci-section.js';
import { fidelitySection } from './fidelity-section.js';

type Stat = { mean: number; sd: number };

export interface LabelReport {
  precision: number;
  recall: number;
  f1: number;
  f1Sd: number;
  /** Gold test sentences carrying the label (the same for every seed). */
  support: number;
}

export interface MixReport {
  /** Per seed on the pooled out-of-fold predictions of every gold test sentence; mean and sd over seeds. */
  microF1: Stat;
  macroF1: Stat;
  perLabel: Record<string, LabelReport>;
  seeds: number[];
  trainedOn: number[];
  /** Folds whose held-out predictions are pooled (1: one fixed test set). */
  folds: number;
  /** Synthetic rows that repeat a gold or earlier-source sentence of the mix and so train once (any fold). */
  duplicatesDropped: number;
}

/** PHI and leakage screening of the datasets (datasets/summary.json `safety`, when the merge computed it). */
export interface ReportSafety {
  phiRows: Record<'silver' | 'bronze' | 'gold', number>;
  phiByKind: Record<string, number>;
  leakageDropped: Record<'silver' | 'bronze', number>;
  nearDuplicatesDropped: number;
  /** Absent in runs merged before it was counted. */
  repeatsMerged?: number;
}

/** How well the LLM's labels agree with gold labels on the same sentences (the LLM as the predictor). */
export interface AgreementSummary {
  microF1: number;
  macroF1: number;
  perLabel: Record<string, { precision: number; recall: number; f1: number; support?: number }>;
  n: number;
  exactMatch?: number;
}

/** The human review (review.enabled): what was chosen and decided, reviewer-vs-LLM agreement, and the effect on F1. */
export interface ReportReview extends ReviewSummary {
  /** imported: reviewers' decisions are in the data; skipped: the run went on without; pending: not decided yet. */
  outcome: 'imported' | 'skipped' | 'pending';
  /** Each mix on the reviewers' labels against the same mix on the LLM's (paired bootstrap; empty: nothing changed). */
  effect: Record<string, MixComparison>;
  /** Reviewers against the LLM per label: Cohen's κ over the reviewed, kept rows. */
  kappa?: Record<string, ReviewerKappa>;
}

export interface ReportAgreement {
  silver: AgreementSummary;
  /** The same after the self-check (fixed labels applied, rejected rows left out). */
  silverChecked?: AgreementSummary;
  /** Per label κ, precision, recall with note-cluster bootstrap CIs, before and after the self-check (eval/agreement.jsonl). */
  withCi?: AgreementWithCi;
}

type Usage = LlmUsageTotals & { costUsd?: number };

export interface Report {
  runId: string;
  experiment: string;
  taxonomyVersion: string;
  workflowId: string;
  uiUrl: string | null;
  /** True when LLM work was cancelled (`clinsynth control RUN_ID cancel`): trained and evaluated on what existed. */
  partial: boolean;
  mixes: Record<string, MixReport>;
  /** Each mix against evaluate.baseline: Δ with paired cluster-bootstrap CI and randomisation p (empty: no baseline). */
  comparisons: Record<string, MixComparison>;
  /** Learning curves: F1 against the share of synthetic rows, and of gold training rows (by note). */
  curves: { synthetic: CurveRow[]; gold: CurveRow[] };
  /** One sentence per compared mix: Δ macro-F1 with its CI and p, and whether the data shows a difference. */
  headline: string[];
  /** How the comparisons were made: baseline mix, resamples, alpha, folds. */
  evaluation: { baseline: string; resamples: number; alpha: number; folds: number };
  /** costUsd: estimated spend, when the model's price is known; budgetExhausted: llm.budgetUsd stopped new LLM work;
   * batch: the part of the usage that provider batches answered (llm.batch; paid at the batch price). */
  llm: Usage & { byStage: Record<string, Usage>; budgetExhausted?: boolean; batch?: LlmUsageTotals };
  /** llm.batch: every provider batch of the run (id, stage, round, status, request counts, answers collected), and
   * the batch rounds that gave up (their pages went online). */
  batches?: BatchProgress[];
  batchErrors?: string[];
  datasets: Record<string, number>;
  selfCheck: MergeSummary['verdicts'];
  composition: MergeSummary['composition'];
  /** null: the merge did not compute it. */
  safety: ReportSafety | null;
  agreement?: ReportAgreement;
  /** Present when the run exported rows for human review. */
  review?: ReportReview;
  /** Fidelity and diversity of silver and bronze against gold (eval/fidelity.json, measured after the merge). */
  fidelity?: FidelityReport;
  stages: RunProgress['stages'];
  counts: Record<string, number>;
  generatedAt: string;
}

export interface ReportInput {
  runDir: string;
  progress: RunProgress;
  workflowId: string;
  uiUrl?: string;
  agreement?: ReportAgreement;
}

const withCost = (u: LlmUsageTotals): Usage => {
  const cost = (u as Usage).costUsd;
  return typeof cost === 'number' && Number.isFinite(cost) ? { ...u, costUsd: cost } : { ...u };
};

/** The agreement bootstrap's PRNG seed: fixed, so a rebuilt report has the same intervals. */
const AGREEMENT_SEED = 20231;

export function buildReport(input: ReportInput): Report {
  const { runDir, progress } = input;
  const e = readRunExperiment(runDir);
  const summaryFile = join(runDir, RUN_FILES.datasets, 'summary.json');
  const summary: MergeSummary & { safety?: ReportSafety | null } = existsSync(summaryFile)
    ? readJson(summaryFile)
    : { counts: {}, composition: [], verdicts: [] };
  const mixes: Record<string, MixReport> = {};
  for (const mix of e.evaluate.mixes) {
    const runs = readEvaluations(runDir, mix, e.train.seeds);
    if (!runs.length) continue;
    const perLabel: MixReport['perLabel'] = {};
    for (const label of e.labels) {
      const scores = runs.map((r) => r.metrics.perLabel[label]).filter((s) => s !== undefined);
      if (!scores.length) continue;
      const f1 = meanSd(scores.map((s) => s.f1));
      perLabel[label] = {
        precision: meanSd(scores.map((s) => s.precision)).mean,
        recall: meanSd(scores.map((s) => s.recall)).mean,
        f1: f1.mean,
        f1Sd: f1.sd,
        support: scores[0]?.support ?? 0,
      };
    }
    mixes[mix] = {
      microF1: meanSd(runs.map((r) => r.metrics.microF1)),
      macroF1: meanSd(runs.map((r) => r.metrics.macroF1)),
      perLabel,
      seeds: runs.map((r) => r.seed),
      trainedOn: runs.map((r) => r.trainedOn),
      folds: runs[0]?.folds ?? 1,
      duplicatesDropped: Math.max(0, ...runs.map((r) => r.duplicatesDropped ?? 0)),
    };
  }
  // The comparisons of the evaluate stage; recomputed from the predictions when missing (a rebuild, an older run).
  const comparisonsFile = join(runDir, COMPARISONS_FILE);
  const compared: Comparisons | undefined = existsSync(comparisonsFile)
    ? readJson<Comparisons>(comparisonsFile)
    : Object.keys(mixes).length
      ? compareMixes(runDir, e)
      : undefined;
  const c = summary.counts;
  // The run's spend lives on the progress (costUsd, null when the price is unknown); older runs may carry it on llm.
  const extra = progress as RunProgress & { costUsd?: number | null; budgetExhausted?: boolean };
  const llm: Report['llm'] = {
    ...withCost(progress.llm),
    byStage: Object.fromEntries(Object.entries(progress.llmByStage).map(([s, u]) => [s, withCost(u)])),
  };
  if (typeof extra.costUsd === 'number' && Number.isFinite(extra.costUsd)) llm.costUsd = extra.costUsd;
  if (extra.budgetExhausted) llm.budgetExhausted = true;
  if (progress.llmBatch) llm.batch = progress.llmBatch;
  const report: Report = {
    runId: progress.runId,
    experiment: e.name,
    taxonomyVersion: e.taxonomyVersion,
    workflowId: input.workflowId,
    uiUrl: input.uiUrl ?? null,
    partial: !!progress.cancelled,
    mixes,
    comparisons: compared?.comparisons ?? {},
    headline: Object.entries(compared?.comparisons ?? {}).map(([mix, c]) => comparisonHeadline(mix, c)),
    curves: compared?.curves ?? { synthetic: [], gold: [] },
    evaluation: {
      baseline: e.evaluate.baseline,
      resamples: e.evaluate.bootstrap,
      alpha: e.evaluate.alpha,
      folds: Math.max(1, ...Object.values(mixes).map((m) => m.folds)),
    },
    llm,
    datasets: {
      gold: c.gold_train ?? 0,
      goldTest: c.gold_test ?? 0,
      silver: c.silver ?? 0,
      silverUsable: c.silver_usable ?? 0,
      bronze: c.bronze ?? 0,
      bronzeUsable: c.bronze_usable ?? 0,
      bronzeRejected: c.bronzeRejected ?? 0,
      ...(c.reviewed !== undefined ? { reviewed: c.reviewed, reviewedUsable: c.reviewed_usable ?? 0 } : {}),
    },
    selfCheck: summary.verdicts,
    composition: summary.composition,
    safety: summary.safety ?? null,
    stages: progress.stages,
    counts: progress.counts,
    generatedAt: new Date().toISOString(),
  };
  if (progress.batches?.length) report.batches = progress.batches;
  if (progress.batchErrors?.length) report.batchErrors = progress.batchErrors;
  const agreement = input.agreement ?? llmAgreement(runDir);
  if (agreement) report.agreement = agreement;
  const review = reviewSummary(runDir, e.labels);
  if (review) {
    const state = progress.review?.state;
    const outcome = state === 'skipped' || state === 'imported' ? state : review.reviewed ? 'imported' : 'pending';
    report.review = { ...review, outcome, effect: compared?.review ?? {} };
    if (review.agreement) report.review.kappa = reviewerKappa(review.agreement);
  }
  const withCi = measureAgreement(runDir, e.labels, {
    resamples: e.evaluate.bootstrap,
    alpha: e.evaluate.alpha,
    seed: AGREEMENT_SEED,
  });
  if (withCi && report.agreement) report.agreement.withCi = withCi;
  const fidelity = readFidelity(runDir);
  if (fidelity) report.fidelity = fidelity;
  return report;
}

/** Writes report.json and report.html; a rebuild without a UI base (`clinsynth report`) keeps the previous UI link. */
export async function writeReport(input: ReportInput): Promise<{ reportPath: string; htmlPath: string }> {
  const reportPath = join(input.runDir, RUN_FILES.report);
  const htmlPath = join(input.runDir, RUN_FILES.reportHtml);
  let uiUrl = input.uiUrl;
  if (!uiUrl && existsSync(reportPath)) {
    try {
      const previous = readJson<Partial<Report>>(reportPath);
      if (typeof previous.uiUrl === 'string' && previous.uiUrl) uiUrl = previous.uiUrl;
    } catch {
      // an unreadable previous report has no link to keep
    }
  }
  const report = buildReport({ ...input, ...(uiUrl ? { uiUrl } : {}) });
  writeJson(reportPath, report);
  writeFileAtomic(htmlPath, await renderReportHtml(report));
  return { reportPath, htmlPath };
}

// ---------------------------------------------------------------------------------------------------------------
// HTML rendering: one file, inline CSS and SVG, no scripts, no network. Every text goes through esc().

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
const f3 = (x: unknown) => num(x).toFixed(3);
const int = (x: unknown) => Math.round(num(x)).toLocaleString('en-US');
const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(b >= 1000 ? 1 : 0)}%` : '—');
const px = (v: number) => Number(v.toFixed(1));
/** Rough text width for SVG layout (system-ui at `size` px). */
const textW = (s: string, size = 12) => s.length * size * 0.58;
const ellipsize = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

const COLORS = {
  macro: '#1f4e79',
  micro: '#8db9e0',
  axis: '#6b7280',
  grid: '#e5e7eb',
  ink: '#1f2937',
  muted: '#6b7280',
};
const SOURCE_COLORS: Record<string, string> = {
  gold: '#c99a06',
  silver: '#8a96a3',
  bronze: '#a8592b',
  reviewed: '#2e7d6b',
};
const VERDICT_COLORS: Record<string, string> = { keep: '#2e7d4f', fix: '#d19a1f', reject: '#b3322f' };
const OTHER_COLORS = ['#5b7fa6', '#7c5ba6', '#4a9a94', '#a65b86'];
const colorFor = (table: Record<string, string>, key: string, i: number) =>
  table[key] ?? OTHER_COLORS[i % OTHER_COLORS.length]!;

function sortedLabels(r: Report, mixes: string[]): string[] {
  const seen = new Set<string>();
  for (const m of mixes) for (const l of Object.keys(r.mixes[m]!.perLabel)) seen.add(l);
  return [...seen];
}

/** F1 per mix as Vega-Lite bars (macro and micro, ±1 sd over seeds). */
function f1Chart(r: Report, mixes: string[]): Promise<string> {
  return f1BarSvg(mixes.map((m) => ({ mix: m, macro: r.mixes[m]!.macroF1, micro: r.mixes[m]!.microF1 })));
}

/** Per-label F1 per mix; a cell whose Δ vs the baseline has a CI excluding 0 is marked. */
function labelHeatmap(r: Report, mixes: string[], labels: string[]): Promise<string> {
  const cells: HeatCell[] = [];
  for (const l of labels) {
    for (const m of mixes) {
      const s = r.mixes[m]!.perLabel[l];
      if (!s) continue;
      const d = r.comparisons[m]?.perLabel[l];
      cells.push({
        label: l,
        mix: m,
        f1: s.f1,
        support: s.support,
        ...(d ? { delta: { value: d.delta, lo: d.ci[0], hi: d.ci[1] } } : {}),
      });
    }
  }
  return labelHeatmapSvg(cells, r.evaluation.baseline);
}

/** "gold+silver: +0.031 macro-F1 [−0.004, +0.066], p = 0.09: not shown" — what the data says about one mix. */
export function comparisonHeadline(mix: string, c: MixComparison): string {
  const { delta, ci, p, pHolm } = c.macroF1;
  const verdict = ci[0] > 0 ? `better than ${c.baseline}` : ci[1] < 0 ? `worse than ${c.baseline}` : 'not shown';
  const holmText = pHolm !== p ? ` (Holm ${pText(pHolm)})` : '';
  return `${mix}: ${signed(delta)} macro-F1 [${signed(ci[0])}, ${signed(ci[1])}], ${pText(p)}${holmText}: ${verdict}`;
}

function comparisonSection(r: Report, forest: string): string {
  const mixes = Object.keys(r.comparisons);
  const { baseline, resamples, alpha, folds } = r.evaluation;
  const level = `${Math.round((1 - alpha) * 100)}%`;
  if (!mixes.length) {
    return `<section id="comparison"><h2>Each mix against ${esc(baseline)}</h2><p class="muted">No comparison: the baseline mix ${esc(baseline)} was not evaluated, or it is the only mix.</p></section>`;
  }
  const rows = mixes
    .map((m) => {
      const c = r.comparisons[m]!;
      return `<tr><th>${esc(m)}</th><td>${esc(ciText(c.macroF1.delta, c.macroF1.ci[0], c.macroF1.ci[1]))}</td><td>${esc(pText(c.macroF1.p))}</td><td>${esc(pText(c.macroF1.pHolm))}</td><td>${esc(ciText(c.microF1.delta, c.microF1.ci[0], c.microF1.ci[1]))}</td><td>${esc(pText(c.microF1.p))}</td></tr>`;
    })
    .join('');
  const first = r.comparisons[mixes[0]!]!;
  return `<section id="comparison"><h2>Each mix against ${esc(baseline)}</h2>
<p class="note">Δ = mean-over-seeds F1 of the mix minus that of ${esc(baseline)}, on the pooled out-of-fold predictions of ${int(first.sentences)} gold sentences from ${int(first.notes)} notes (${int(folds)} fold${folds === 1 ? '' : 's'}). Bars: ${level} paired cluster-bootstrap interval (${int(resamples)} resamples of notes); p: paired approximate-randomisation test, Holm-adjusted across mixes for macro-F1. An interval that crosses 0 means the data does not show a difference. The intervals cover the choice of test notes only, not the LLM's own variance (another sample of silver or bronze data).</p>
${forest}
<details><summary>Numbers</summary><table class="num"><thead><tr><th>mix</th><th>Δ macro-F1 [${level} CI]</th><th>p</th><th>Holm p</th><th>Δ micro-F1 [${level} CI]</th><th>p</th></tr></thead><tbody>${rows}</tbody></table></details>
</section>`;
}

function curvesSection(r: Report, synthetic: string, gold: string): string {
  if (!r.curves.synthetic.length && !r.curves.gold.length) return '';
  const table = (rows: CurveRow[]) =>
    `<table class="num"><thead><tr><th>mix</th><th>share</th><th>training rows</th><th>macro-F1 (mean ± sd)</th><th>micro-F1 (mean ± sd)</th></tr></thead><tbody>${rows
      .map(
        (c) =>
          `<tr><th>${esc(c.mix)}</th><td>${esc(`${Math.round(c.share * 100)}%`)}</td><td>${int(c.n)}</td><td>${f3(c.macroF1.mean)} ± ${f3(c.macroF1.sd)}</td><td>${f3(c.microF1.mean)} ± ${f3(c.microF1.sd)}</td></tr>`,
      )
      .join('')}</tbody></table>`;
  const part = (title: string, note: string, svg: string, rows: CurveRow[]) =>
    rows.length
      ? `<h3 style="font-size:14px;margin:14px 0 0">${title}</h3><p class="note">${note}</p>${svg}<details><summary>Numbers</summary>${table(rows)}</details>`
      : '';
  return `<section id="curves"><h2>Learning curves</h2>
${part('Share of the synthetic rows', 'Each mix trained on all of its gold and a seeded share of its synthetic rows (the smaller samples lie inside the larger ones). A curve still rising at 100% says more synthetic data may help.', synthetic, r.curves.synthetic)}
${part('Share of the gold training rows (by note)', 'Each mix trained on a share of the gold notes of every fold, with its synthetic rows; the gold mix is the curve without synthetic data. Where a synthetic mix at a smaller share reaches gold alone at 100%, the synthetic data is worth the rest of the gold.', gold, r.curves.gold)}
</section>`;
}

function orderSources(sources: Iterable<string>): string[] {
  const rank = (s: string) => {
    const i = ['gold', 'silver', 'bronze', 'reviewed'].indexOf(s);
    return i < 0 ? 99 : i;
  };
  return [...new Set(sources)].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

function compositionChart(r: Report, labelOrder: string[]): string {
  const rows = r.composition.filter((c) => num(c.n) > 0);
  if (!rows.length) return '<p class="muted">No composition recorded (datasets/summary.json is missing or empty).</p>';
  const sources = orderSources(rows.map((c) => c.source));
  const rank = (l: string) => (l === 'none' ? 1e6 : labelOrder.indexOf(l) < 0 ? 1e5 : labelOrder.indexOf(l));
  const labels = [...new Set(rows.map((c) => c.label))].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const n = (l: string, s: string) =>
    rows.filter((c) => c.label === l && c.source === s).reduce((t, c) => t + num(c.n), 0);
  const total = (l: string) => sources.reduce((t, s) => t + n(l, s), 0);
  const maxTotal = Math.max(1, ...labels.map(total));
  const maxLabel = 34;
  const labelW = Math.min(260, Math.max(90, ...labels.map((l) => textW(ellipsize(l, maxLabel)) + 18)));
  const barMax = 520;
  const rowH = 26;
  const top = 30;
  const width = labelW + barMax + 60;
  const height = top + labels.length * rowH + 8;
  const legend = sources
    .map(
      (s, i) =>
        `<rect x="${labelW + i * 90}" y="6" width="12" height="12" fill="${colorFor(SOURCE_COLORS, s, i)}" rx="2"/><text x="${labelW + i * 90 + 18}" y="16">${esc(s)}</text>`,
    )
    .join('');
  const bars = labels
    .map((l, i) => {
      const yy = top + i * rowH;
      let x = labelW;
      const segs = sources
        .map((s, k) => {
          const v = n(l, s);
          if (!v) return '';
          const w = (v / maxTotal) * barMax;
          const seg = `<rect class="segment" data-label="${esc(l)}" data-source="${esc(s)}" data-n="${v}" x="${px(x)}" y="${yy + 4}" width="${px(Math.max(w, 1))}" height="${rowH - 8}" fill="${colorFor(SOURCE_COLORS, s, k)}"><title>${esc(`${l} · ${s}: ${v} training row${v === 1 ? '' : 's'} (${pct(v, total(l))} of the label)`)}</title></rect>${w > 26 ? `<text x="${px(x + w / 2)}" y="${yy + rowH / 2 + 4}" text-anchor="middle" font-size="10.5" fill="#fff" pointer-events="none">${v}</text>` : ''}`;
          x += w;
          return seg;
        })
        .join('');
      const label = l === 'none' ? 'none (no label)' : l;
      return `<g class="composition-row" data-label="${esc(l)}"><text x="${labelW - 10}" y="${yy + rowH / 2 + 4}" text-anchor="end" font-size="12" fill="${COLORS.ink}"${l === 'none' ? ' font-style="italic"' : ''}>${esc(ellipsize(label, maxLabel))}<title>${esc(label)}</title></text>${segs}<text class="total" x="${px(x + 6)}" y="${yy + rowH / 2 + 4}" font-size="12" fill="${COLORS.ink}" font-weight="600">${total(l)}</text></g>`;
    })
    .join('\n');
  const svg = `<svg id="composition-chart" class="chart" width="${px(width)}" height="${height}" viewBox="0 0 ${px(width)} ${height}" role="img" aria-label="Usable training rows per label and source" font-family="system-ui, sans-serif">
<g class="legend" font-size="12" fill="${COLORS.ink}">${legend}</g>
${bars}
</svg>`;
  const table = `<details><summary>Numbers</summary><table class="num"><thead><tr><th>label</th>${sources.map((s) => `<th>${esc(s)}</th>`).join('')}<th>total</th></tr></thead><tbody>${labels
    .map(
      (l) =>
        `<tr><th>${esc(l)}</th>${sources.map((s) => `<td>${int(n(l, s))}</td>`).join('')}<td><b>${int(total(l))}</b></td></tr>`,
    )
    .join('')}</tbody></table></details>`;
  return svg + table;
}

function datasetsTable(r: Report): string {
  const d = r.datasets;
  const known = new Set([
    'gold',
    'goldTest',
    'silver',
    'silverUsable',
    'bronze',
    'bronzeUsable',
    'bronzeRejected',
    'reviewed',
    'reviewedUsable',
  ]);
  const rows: [string, string, string, string][] = [
    ['gold (train)', int(d.gold), int(d.gold), 'human labels'],
    ['gold (test)', int(d.goldTest), '—', 'held out: never used for training, selection or thresholds'],
    [
      'silver',
      int(d.silver),
      `${int(d.silverUsable)} (${pct(num(d.silverUsable), num(d.silver))})`,
      'corpus sentences labeled by the LLM',
    ],
    [
      'bronze',
      int(d.bronze),
      `${int(d.bronzeUsable)} (${pct(num(d.bronzeUsable), num(d.bronze))})`,
      'sentences written by the LLM per label',
    ],
  ];
  if (d.reviewed !== undefined) {
    rows.push([
      'reviewed',
      int(d.reviewed),
      `${int(d.reviewedUsable)} (${pct(num(d.reviewedUsable), num(d.reviewed))})`,
      "silver and bronze rows with a reviewer's labels (they also replace the LLM's labels in silver and bronze)",
    ]);
  }
  if (d.bronzeRejected !== undefined) {
    rows.push([
      'bronze: refused by the sentence gate',
      int(d.bronzeRejected),
      '—',
      'written items that were no sentence: label ids, placeholders, copies of guideline examples (kept in bronze/rejected)',
    ]);
  }
  const extra = Object.entries(d).filter(([k]) => !known.has(k));
  return `<table class="num"><thead><tr><th>set</th><th>rows</th><th>usable for training</th><th class="l">what it is</th></tr></thead><tbody>${rows
    .map(([a, b, c, e]) => `<tr><th>${esc(a)}</th><td>${b}</td><td>${c}</td><td class="l muted">${esc(e)}</td></tr>`)
    .join(
      '',
    )}${extra.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${int(v)}</td><td></td><td></td></tr>`).join('')}</tbody></table>`;
}

function usageTable(r: Report): string {
  const stages = Object.entries(r.llm.byStage);
  const hasCost = typeof r.llm.costUsd === 'number' || stages.some(([, u]) => typeof u.costUsd === 'number');
  const usd = (v: number | undefined) => (typeof v === 'number' ? `$${v.toFixed(v < 1 ? 4 : 2)}` : '—');
  const row = (name: string, u: Usage, total = false) => {
    const cell = total ? 'th' : 'td';
    const warn = num(u.failures) > 0 ? ' class="warn"' : '';
    return `<tr${total ? ' class="total"' : ''}><th>${esc(name)}</th><${cell}>${int(u.calls)}</${cell}><${cell}>${int(u.cacheHits)} <span class="muted">(${pct(num(u.cacheHits), num(u.calls) + num(u.cacheHits))})</span></${cell}><${cell}>${int(u.promptTokens)}</${cell}><${cell}>${int(u.completionTokens)}</${cell}><${cell}${warn}>${int(u.failures)}</${cell}>${hasCost ? `<${cell}>${usd(u.costUsd)}</${cell}>` : ''}</tr>`;
  };
  const cost =
    typeof r.llm.costUsd === 'number'
      ? `<p class="cost">Estimated LLM cost for this run: <b>${esc(usd(r.llm.costUsd))}</b></p>`
      : '';
  return `<table class="num"><thead><tr><th>stage</th><th>calls</th><th>cache hits</th><th>prompt tokens</th><th>completion tokens</th><th>unusable answers</th>${hasCost ? '<th>cost (USD)</th>' : ''}</tr></thead><tbody>${
    stages.length
      ? stages.map(([s, u]) => row(s, u)).join('')
      : '<tr><td colspan="6" class="l muted">no LLM stage ran</td></tr>'
  }${row('total', r.llm, true)}</tbody></table>
<p class="note">Calls are model calls; cache hits are answers replayed from the LLM cache (no model call, no tokens), as a share of all requests. Unusable answers were kept raw in the stage's failures files and left out of the data.</p>${cost}`;
}

/** The provider batches of a batch-mode run (llm.batch); nothing for an online run. */
function batchesTable(r: Report): string {
  const batches = r.batches ?? [];
  const gaveUp = r.batchErrors ?? [];
  if (!batches.length && !gaveUp.length) return '';
  const rows = batches
    .map(
      (b) =>
        `<tr><th class="l">${esc(b.id)}</th><td class="l">${esc(b.stage)}</td><td>${int(b.round + 1)}</td><td class="l${b.status === 'completed' ? '' : ' warn'}">${esc(b.status)}</td><td>${int(b.total)}</td><td>${int(b.completed)}</td><td>${int(b.failed)}</td><td>${b.answered === undefined ? '—' : int(b.answered)}</td><td class="l muted">${esc(b.error ?? '')}</td></tr>`,
    )
    .join('');
  const note = `<p class="note">llm.batch: each LLM stage first sent its requests through the provider's batch API (half price); answers went into the LLM cache, and the pages then asked online only for what no batch answered. Answered: answers written to the cache.${r.llm.batch ? ` Batches answered ${int(r.llm.batch.calls)} requests (${int(r.llm.batch.promptTokens)} prompt and ${int(r.llm.batch.completionTokens)} completion tokens at the batch price).` : ''}</p>`;
  const errors = gaveUp.length
    ? `<p class="warn">Batch rounds that gave up (their pages went online): ${gaveUp.map(esc).join('; ')}</p>`
    : '';
  return `<h3 style="font-size:14px;margin:14px 0 0">Batches</h3><table class="num"><thead><tr><th class="l">batch</th><th class="l">stage</th><th>round</th><th class="l">status</th><th>requests</th><th>completed</th><th>failed</th><th>answered</th><th class="l">error</th></tr></thead><tbody>${rows}</tbody></table>${note}${errors}`;
}

function verdictsTable(r: Report): string {
  if (!r.selfCheck.length)
    return '<p class="muted">No self-check verdicts (the self-check was disabled or had nothing to check).</p>';
  const rank = (v: string) => {
    const i = ['keep', 'fix', 'reject'].indexOf(v);
    return i < 0 ? 99 : i;
  };
  const verdicts = [...new Set(r.selfCheck.map((v) => v.verdict))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  const sets = orderSources(r.selfCheck.map((v) => v.source));
  const n = (s: string, v: string) =>
    r.selfCheck.filter((x) => x.source === s && x.verdict === v).reduce((t, x) => t + num(x.n), 0);
  const rows = sets
    .map((s) => {
      const total = verdicts.reduce((t, v) => t + n(s, v), 0);
      let x = 0;
      const bar = verdicts
        .map((v, i) => {
          const w = total ? (n(s, v) / total) * 200 : 0;
          const seg =
            w > 0
              ? `<rect class="verdict-segment" data-source="${esc(s)}" data-verdict="${esc(v)}" data-n="${n(s, v)}" x="${px(x)}" y="0" width="${px(w)}" height="14" fill="${colorFor(VERDICT_COLORS, v, i)}"><title>${esc(`${s} · ${v}: ${n(s, v)} (${pct(n(s, v), total)})`)}</title></rect>`
              : '';
          x += w;
          return seg;
        })
        .join('');
      return `<tr><th>${esc(s)}</th>${verdicts.map((v) => `<td>${int(n(s, v))} <span class="muted">(${pct(n(s, v), total)})</span></td>`).join('')}<td><b>${int(total)}</b></td><td class="l"><svg width="200" height="14" viewBox="0 0 200 14" role="img" aria-label="${esc(`${s} verdict shares`)}">${bar}</svg></td></tr>`;
    })
    .join('');
  const legend = verdicts
    .map((v, i) => `<span class="swatch" style="background:${colorFor(VERDICT_COLORS, v, i)}"></span>${esc(v)}`)
    .join(' ');
  return `<table class="num"><thead><tr><th>set</th>${verdicts.map((v) => `<th>${esc(v)}</th>`).join('')}<th>checked</th><th class="l">${legend}</th></tr></thead><tbody>${rows}</tbody></table>
<p class="note">keep: the LLM confirmed the row; fix: its labels were corrected; reject: left out of training.</p>`;
}

function safetySection(r: Report): string {
  const s = r.safety;
  if (!s)
    return '<p class="muted not-computed">Safety screening: <b>not computed</b> for this run (no <code>safety</code> in datasets/summary.json).</p>';
  const cls = (v: number) => (num(v) > 0 ? ' class="warn"' : '');
  const sets = orderSources(Object.keys(s.phiRows ?? {}).concat(['gold', 'silver', 'bronze']));
  const phi = `<table class="num"><thead><tr><th>set</th><th>rows with possible PHI</th></tr></thead><tbody>${sets
    .map((k) => {
      const v = num((s.phiRows as Record<string, number>)?.[k]);
      return `<tr><th>${esc(k)}</th><td${cls(v)}>${int(v)}</td></tr>`;
    })
    .join('')}</tbody></table>`;
  const kinds = Object.entries(s.phiByKind ?? {}).sort((a, b) => num(b[1]) - num(a[1]));
  const byKind = kinds.length
    ? `<table class="num"><thead><tr><th>PHI kind</th><th>matches</th></tr></thead><tbody>${kinds.map(([k, v]) => `<tr><th>${esc(k)}</th><td${cls(v)}>${int(v)}</td></tr>`).join('')}</tbody></table>`
    : '<p class="muted">No PHI pattern matched.</p>';
  const leak = s.leakageDropped ?? {};
  const drops = `<table class="num"><thead><tr><th>dropped before training</th><th>rows</th></tr></thead><tbody><tr><th>silver: test-set leakage</th><td>${int((leak as Record<string, number>).silver)}</td></tr><tr><th>bronze: test-set leakage</th><td>${int((leak as Record<string, number>).bronze)}</td></tr><tr><th>bronze: repeated sentences (merged)</th><td>${s.repeatsMerged === undefined ? '—' : int(s.repeatsMerged)}</td></tr><tr><th>near duplicates</th><td>${int(s.nearDuplicatesDropped)}</td></tr></tbody></table>`;
  return `<div class="row">${phi}${byKind}${drops}</div>`;
}

function agreementSection(r: Report): string {
  const a = r.agreement;
  if (!a?.silver) return '';
  const sets: [string, AgreementSummary][] = [['silver (LLM labels)', a.silver]];
  if (a.silverChecked) sets.push(['silver after self-check', a.silverChecked]);
  const hasExact = sets.some(([, s]) => typeof s.exactMatch === 'number');
  const summary = `<table class="num"><thead><tr><th>LLM labels</th><th>sentences</th><th>micro-F1</th><th>macro-F1</th>${hasExact ? '<th>exact match</th>' : ''}</tr></thead><tbody>${sets
    .map(
      ([name, s]) =>
        `<tr><th>${esc(name)}</th><td>${int(s.n)}</td><td>${f3(s.microF1)}</td><td>${f3(s.macroF1)}</td>${hasExact ? `<td>${typeof s.exactMatch === 'number' ? f3(s.exactMatch) : '—'}</td>` : ''}</tr>`,
    )
    .join('')}</tbody></table>`;
  const labels = [...new Set(sets.flatMap(([, s]) => Object.keys(s.perLabel ?? {})))];
  const perLabel = labels.length
    ? `<table class="num"><thead><tr><th rowspan="2">label</th>${sets.map(([name]) => `<th colspan="3">${esc(name)}</th>`).join('')}</tr><tr>${sets.map(() => '<th>P</th><th>R</th><th>F1</th>').join('')}</tr></thead><tbody>${labels
        .map(
          (l) =>
            `<tr><th>${esc(l)}</th>${sets
              .map(([, s]) => {
                const x = s.perLabel?.[l];
                return x
                  ? `<td>${f3(x.precision)}</td><td>${f3(x.recall)}</td><td><b>${f3(x.f1)}</b></td>`
                  : '<td>—</td><td>—</td><td>—</td>';
              })
              .join('')}</tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  return `<section id="agreement"><h2>LLM as annotator</h2>
<p class="note">The LLM's labels scored against human gold labels on the same sentences (the LLM as the predictor, gold as the truth).</p>
${summary}${perLabel}</section>`;
}

const REASON_TEXT: Record<string, string> = {
  'selfcheck-fix': 'the self-check fixed its labels',
  'selfcheck-reject': 'the self-check rejected it',
  disagreement: 'a classifier trained on gold disagrees with the LLM',
  'low-confidence': 'that classifier is unsure (a score near its threshold)',
};

function reviewSection(r: Report, effectSvg: string): string {
  const v = r.review;
  if (!v) return '';
  const outcome =
    v.outcome === 'imported'
      ? `<b>${int(v.reviewed)}</b> of ${int(v.tasks)} exported rows were reviewed by ${int(v.reviewers)} reviewer${v.reviewers === 1 ? '' : 's'}: ${int(v.changed)} relabelled, ${int(v.dropped)} dropped, ${int(v.reviewed - v.changed - v.dropped)} confirmed. Their labels replace the LLM's in every mix; the rows are also the source <code>reviewed</code> (e.g. <code>gold+reviewed</code>).`
      : v.outcome === 'skipped'
        ? `${int(v.tasks)} rows were exported for review, and the review was skipped (<code>clinsynth review skip</code>): every mix trains on the LLM's labels.`
        : `${int(v.tasks)} rows were exported for review; no decision has been imported yet.`;
  const reasons = Object.keys(v.byReason);
  const byReason = reasons.length
    ? `<table class="num"><thead><tr><th>chosen because</th><th>rows</th><th>reviewed</th><th>relabelled</th><th>dropped</th><th class="l">meaning</th></tr></thead><tbody>${reasons
        .map((k) => {
          const c = v.byReason[k]!;
          return `<tr><th>${esc(k)}</th><td>${int(c.tasks)}</td><td>${int(c.reviewed)}</td><td>${int(c.changed)} <span class="muted">(${pct(c.changed, c.reviewed)})</span></td><td>${int(c.dropped)}</td><td class="l muted">${esc(REASON_TEXT[k] ?? '')}</td></tr>`;
        })
        .join(
          '',
        )}</tbody></table><p class="note">A row may carry several reasons; ${int(v.selection?.candidates ?? 0)} silver and bronze rows were candidates, at most ${int(v.selection?.max ?? v.tasks)} exported.</p>`
    : '<p class="muted">No row matched the review reasons.</p>';
  const a = v.agreement;
  const agreement = a
    ? `<h3 style="font-size:14px;margin:14px 0 0">Reviewers against the LLM</h3>
<p class="note">Over the ${int(a.n)} reviewed rows that were kept: the reviewer's label set equals the LLM's on <b>${pct(a.exactMatch * a.n, a.n)}</b> of them. Per label: rows the LLM gave it, rows the reviewer gave it, both, and the share of rows where the two made the same call.</p>
<table class="num"><thead><tr><th>label</th><th>LLM</th><th>reviewer</th><th>both</th><th>agreed</th></tr></thead><tbody>${Object.entries(
        a.perLabel,
      )
        .filter(([, x]) => x.llm + x.reviewer > 0)
        .map(
          ([l, x]) =>
            `<tr><th>${esc(l)}</th><td>${int(x.llm)}</td><td>${int(x.reviewer)}</td><td>${int(x.both)}</td><td${x.agreement < 0.8 ? ' class="warn"' : ''}>${pct(x.agreement * a.n, a.n)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const mixes = Object.keys(v.effect);
  const effect = mixes.length
    ? `<h3 style="font-size:14px;margin:14px 0 0">Effect on F1</h3>
<p class="note">Each mix trained on the reviewers' labels against the same mix trained on the LLM's (same seeds, same gold test sentences; paired cluster bootstrap, Holm across these mixes). An interval that crosses 0 means the data does not show that the review changed the result.</p>
${effectSvg}
<details><summary>Numbers</summary><table class="num"><thead><tr><th>mix</th><th>Δ macro-F1 [CI]</th><th>p</th><th>Holm p</th><th>Δ micro-F1 [CI]</th></tr></thead><tbody>${mixes
        .map((m) => {
          const c = v.effect[m]!;
          return `<tr><th>${esc(m)}</th><td>${esc(ciText(c.macroF1.delta, c.macroF1.ci[0], c.macroF1.ci[1]))}</td><td>${esc(pText(c.macroF1.p))}</td><td>${esc(pText(c.macroF1.pHolm))}</td><td>${esc(ciText(c.microF1.delta, c.microF1.ci[0], c.microF1.ci[1]))}</td></tr>`;
        })
        .join('')}</tbody></table></details>`
    : v.outcome === 'imported'
      ? '<p class="muted">No mix with synthetic rows was evaluated before and after the review.</p>'
      : '';
  return `<section id="review"><h2>Human review</h2>
<p>${outcome}</p>
${byReason}${agreement}${effect}</section>`;
}

function stagesTable(r: Report): string {
  const rows = Object.entries(r.stages)
    .map(
      ([s, p]) =>
        `<tr><th>${esc(s)}</th><td class="l"><span class="badge ${esc(p.status)}">${esc(p.status)}</span>${s === 'report' && p.status === 'running' ? ' <span class="muted">(this report)</span>' : ''}</td><td>${p.total ? `${int(p.done)} / ${int(p.total)}` : '—'}</td><td${p.failedPages ? ' class="warn"' : ''}>${int(p.failedPages)}</td></tr>`,
    )
    .join('');
  return `<table class="num"><thead><tr><th>stage</th><th class="l">status</th><th>pages / tasks</th><th>failed pages</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function caveats(r: Report, mixes: string[], labels: string[]): string[] {
  const out: string[] = [];
  const seedCounts = new Set(mixes.map((m) => r.mixes[m]!.seeds.length));
  if (seedCounts.size > 1)
    out.push(
      `Mixes were evaluated over different numbers of seeds (${[...seedCounts].sort().join(', ')}); their sd are not comparable.`,
    );
  if (mixes.length && Math.max(...mixes.map((m) => r.mixes[m]!.seeds.length)) < 2)
    out.push('Only one seed per mix: no spread is shown and differences between mixes may be noise.');
  const zero = labels.filter((l) => mixes.some((m) => r.mixes[m]!.perLabel[l]?.support === 0));
  if (zero.length)
    out.push(
      `${zero.length} label${zero.length === 1 ? ' has' : 's have'} no gold test sentence (${zero.map((l) => esc(l)).join(', ')}): their F1 is 0 by convention and lowers every mix's macro-F1 equally.`,
    );
  const thin = labels.filter((l) =>
    mixes.some((m) => {
      const s = r.mixes[m]!.perLabel[l]?.support ?? 0;
      return s > 0 && s < 5;
    }),
  );
  if (thin.length)
    out.push(
      `${thin.length} label${thin.length === 1 ? ' rests' : 's rest'} on fewer than 5 gold test sentences: ${thin.length === 1 ? 'its' : 'their'} per-label F1 moves in large steps.`,
    );
  const failed = Object.entries(r.stages).filter(([, p]) => p.failedPages > 0);
  if (failed.length)
    out.push(
      `Pages failed after all retries in ${failed.map(([s, p]) => `${esc(s)} (${p.failedPages})`).join(', ')}: their items are missing from the data (within llm.maxFailedShare; each page and why in failures/pages.jsonl).`,
    );
  const short = num(r.counts.bronzeTargetsShort);
  if (short > 0) {
    out.push(
      `${int(short)} bronze target${short === 1 ? ' is' : 's are'} still short of bronze.perLabel usable sentences after ${int(num(r.counts.bronzeTopUpRounds))} top-up round(s): see Training data composition.`,
    );
  }
  if (r.partial)
    out.push(
      'LLM work was cancelled while the run went (clinsynth control … cancel): this report is partial, trained and evaluated on the synthetic data made before that.',
    );
  if (r.llm.budgetExhausted)
    out.push(
      'The LLM budget (llm.budgetUsd) ran out: LLM work stopped early and the synthetic sets are smaller than asked.',
    );
  if (num(r.llm.failures) > 0)
    out.push(`${int(r.llm.failures)} LLM answer${r.llm.failures === 1 ? ' was' : 's were'} unusable and left out.`);
  if (r.safety && Object.values(r.safety.phiRows ?? {}).some((v) => num(v) > 0))
    out.push('Rows with possible PHI were found: see Safety.');
  if (r.stages.report && r.stages.report.status !== 'done' && r.stages.evaluate?.status !== 'done')
    out.push('The run had not finished evaluating when this report was written.');
  if (r.review?.selection?.classifier?.sawTestLabels) {
    out.push(
      "Rows for human review were partly chosen by a classifier trained on every gold sentence, test folds included (out-of-fold evaluation leaves no gold sentence outside them): the reviewers' labels owe nothing to gold, but which rows they saw did.",
    );
  }
  return out;
}

/** A single HTML file with inline SVG charts (Vega-Lite, rendered here): no scripts, no network. */
export async function renderReportHtml(r: Report): Promise<string> {
  const mixes = Object.keys(r.mixes);
  const labels = sortedLabels(r, mixes);
  const safeUrl = r.uiUrl && /^https?:\/\//i.test(r.uiUrl) ? r.uiUrl : null;
  const best = [...mixes].sort((a, b) => r.mixes[b]!.macroF1.mean - r.mixes[a]!.macroF1.mean)[0];
  const gold = r.mixes.gold;
  const stat = (s: Stat) => `${f3(s.mean)} ± ${f3(s.sd)}`;
  const seeds = [...new Set(mixes.flatMap((m) => r.mixes[m]!.seeds))].sort((a, b) => a - b);
  const kpis: [string, string, string?][] = [];
  if (best) kpis.push(['best macro-F1', stat(r.mixes[best]!.macroF1), best]);
  if (gold && best !== 'gold') kpis.push(['gold only, macro-F1', stat(gold.macroF1), 'baseline']);
  if (best && gold && best !== 'gold') {
    const d = r.mixes[best]!.macroF1.mean - gold.macroF1.mean;
    kpis.push(['gain over gold only', `${d >= 0 ? '+' : '−'}${f3(Math.abs(d))}`, `${best} vs gold (macro-F1)`]);
  } else if (best === 'gold' && mixes.length > 1)
    kpis.push(['gain over gold only', 'none', 'no other mix beat gold only']);
  kpis.push([
    'gold test sentences',
    int(r.datasets.goldTest),
    `${seeds.length} seed${seeds.length === 1 ? '' : 's'}${seeds.length ? `: ${seeds.join(', ')}` : ''}`,
  ]);
  const warn = caveats(r, mixes, labels);
  const curvePoints = (rows: CurveRow[]) =>
    rows.map((c) => ({ mix: c.mix, share: c.share, n: c.n, mean: c.macroF1.mean, sd: c.macroF1.sd }));
  const forestRows = Object.entries(r.comparisons).map(([mix, c]) => ({
    mix,
    baseline: c.baseline,
    delta: c.macroF1.delta,
    lo: c.macroF1.ci[0],
    hi: c.macroF1.ci[1],
    p: c.macroF1.p,
    pHolm: c.macroF1.pHolm,
  }));
  const effectRows = Object.entries(r.review?.effect ?? {}).map(([mix, c]) => ({
    mix,
    baseline: 'LLM labels',
    delta: c.macroF1.delta,
    lo: c.macroF1.ci[0],
    hi: c.macroF1.ci[1],
    p: c.macroF1.p,
    pHolm: c.macroF1.pHolm,
  }));
  const [f1Svg, heatSvg, forestSvg, syntheticSvg, goldSvg, effectSvg] = await Promise.all([
    mixes.length
      ? f1Chart(r, mixes)
      : Promise.resolve('<p class="muted">No mix was evaluated: there is nothing to chart.</p>'),
    mixes.length && labels.length
      ? labelHeatmap(r, mixes, labels)
      : Promise.resolve('<p class="muted">No per-label scores.</p>'),
    forestPlotSvg(forestRows),
    learningCurveSvg(curvePoints(r.curves.synthetic), 'synthetic'),
    learningCurveSvg(curvePoints(r.curves.gold), 'gold'),
    effectRows.length ? forestPlotSvg(effectRows, 'macro-F1', 'review-effect') : Promise.resolve(''),
  ]);
  const css = `
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--accent:#1f4e79;--warn:#b3322f}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);margin:0;background:var(--bg)}
main{max-width:1180px;margin:0 auto;padding:28px 32px 48px}
header{background:#fff;border:1px solid var(--line);border-radius:10px;padding:20px 24px;margin-bottom:18px}
h1{font-size:22px;margin:0 0 4px}h1 .run{color:var(--accent)}
h2{font-size:17px;margin:0 0 10px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:18px 24px;margin:0 0 18px;overflow-x:auto}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:10px 0 0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.kpi{border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:170px;background:var(--bg)}
.kpi .k{font-size:12px;color:var(--muted)}.kpi .v{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}.kpi .s{font-size:12px;color:var(--muted)}
.caveats{border-left:4px solid #d19a1f;background:#fffbeb;padding:8px 14px;margin:14px 0 0;border-radius:4px}
.caveats ul,.headline ul{margin:4px 0;padding-left:18px}
.headline{border-left:4px solid var(--accent);background:#eff6ff;padding:8px 14px;margin:14px 0 0;border-radius:4px}
table{border-collapse:collapse;margin:8px 0}
td,th{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:middle}
thead th{font-size:12px;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line)}
table.num td,table.num thead th{text-align:right;font-variant-numeric:tabular-nums}
table.num td.l,table.num th.l,table.num thead th:first-child{text-align:left}
tbody th{font-weight:500}
tr.total th,tr.total td{border-top:2px solid var(--line);font-weight:600}
.warn{color:var(--warn);font-weight:600}
.muted{color:var(--muted)}.note{color:var(--muted);font-size:12.5px;margin:6px 0}
.cost{margin:8px 0 0}
.row{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;background:#eef2f7}
.badge.done{background:#dcfce7;color:#166534}.badge.running{background:#dbeafe;color:#1e40af}.badge.skipped{background:#f3f4f6;color:#6b7280}.badge.pending{background:#fef3c7;color:#92400e}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 3px 0 8px;vertical-align:-1px}
svg.chart{display:block;max-width:100%;height:auto;margin:6px 0}
details{margin:6px 0}summary{cursor:pointer;color:var(--accent)}
a{color:var(--accent)}code{background:#f1f5f9;padding:0 4px;border-radius:3px}
footer{color:var(--muted);font-size:12px;text-align:center}
@media print{body{background:#fff}section,header{border:none;padding:8px 0;break-inside:avoid}}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>clinsynth report — ${esc(r.runId)}</title>
<style>${css}</style></head>
<body><main>
<header>
<h1>clinsynth report: <span class="run">${esc(r.runId)}</span></h1>
<dl class="meta">
<dt>experiment</dt><dd><b>${esc(r.experiment)}</b></dd>
<dt>taxonomy</dt><dd>${esc(r.taxonomyVersion)}</dd>
<dt>workflow</dt><dd>${safeUrl ? `<a id="temporal-link" href="${esc(safeUrl)}">${esc(r.workflowId)}</a> <span class="muted">(Temporal UI)</span>` : `${esc(r.workflowId)} <span class="muted">(no Temporal UI link)</span>`}</dd>
<dt>generated</dt><dd>${esc(r.generatedAt)}</dd>
</dl>
<div class="kpis">${kpis.map(([k, v, s]) => `<div class="kpi"><div class="k">${esc(k)}</div><div class="v">${esc(v)}</div>${s ? `<div class="s">${esc(s)}</div>` : ''}</div>`).join('')}</div>
${r.headline.length ? `<div id="headline" class="headline"><b>The answer, with its uncertainty</b><ul>${r.headline.map((h) => `<li>${esc(h)}</li>`).join('')}</ul></div>` : ''}
${warn.length ? `<div class="caveats"><b>Read with care</b><ul>${warn.map((w) => `<li>${w}</li>`).join('')}</ul></div>` : ''}
</header>

<section id="f1"><h2>F1 per training mix</h2>
<p class="note">Every gold test sentence is predicted by a classifier that did not train on its fold (${int(r.evaluation.folds)} fold${r.evaluation.folds === 1 ? '' : 's'}); bars are means over seeds of the pooled scores, whiskers ±1 sd over seeds. Macro-F1 averages every taxonomy label equally (rare signs weigh as much as common ones); micro-F1 pools all label decisions.</p>
${f1Svg}
<details><summary>Numbers</summary><table class="num"><thead><tr><th>mix</th><th>macro-F1 (mean ± sd)</th><th>micro-F1 (mean ± sd)</th><th>seeds</th><th>training rows</th><th>repeats trained once</th></tr></thead><tbody>${mixes
    .map((m) => {
      const x = r.mixes[m]!;
      return `<tr><th>${esc(m)}</th><td>${stat(x.macroF1)}</td><td>${stat(x.microF1)}</td><td>${esc(x.seeds.join(', '))}</td><td>${esc([...new Set(x.trainedOn)].map(int).join(', '))}</td><td>${int(x.duplicatesDropped)}</td></tr>`;
    })
    .join('')}</tbody></table></details>
</section>

${comparisonSection(r, forestSvg)}

${curvesSection(r, syntheticSvg, goldSvg)}

<section id="labels"><h2>Per-label F1 (labels × mixes)</h2>
<p class="note">Cell: mean F1 over seeds; ▲/▼ marks a label whose Δ F1 against ${esc(r.evaluation.baseline)} has a ${Math.round((1 - r.evaluation.alpha) * 100)}% CI that excludes 0. Support: gold test sentences carrying the label (n &lt; 5 flagged).</p>
${heatSvg}
</section>

<section id="composition"><h2>Training data composition</h2>
<p class="note">Usable training rows per label and source (gold train, silver, bronze; rows rejected by the self-check excluded). A sentence with several labels counts once per label.</p>
${compositionChart(r, labels)}
<h3 style="font-size:14px;margin:14px 0 0">Datasets</h3>
${datasetsTable(r)}
</section>

<section id="selfcheck"><h2>Self-check verdicts</h2>
${verdictsTable(r)}
</section>

<section id="safety"><h2>Safety</h2>
${safetySection(r)}
</section>

${agreementSection(r)}

${agreementCiSection(r.agreement?.withCi, r.review?.kappa)}

${fidelitySection(r.fidelity)}

${reviewSection(r, effectSvg)}

<section id="llm"><h2>LLM usage</h2>
${usageTable(r)}
${batchesTable(r)}
</section>

<section id="stages"><h2>Stages</h2>
${stagesTable(r)}
<details><summary>All run counts</summary><table class="num"><tbody>${Object.entries(r.counts)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${int(v)}</td></tr>`)
    .join('')}</tbody></table></details>
</section>
<footer>Self-contained report: no scripts, no external resources. Machine-readable twin: report.json.</footer>
</main></body></html>
`;
}
