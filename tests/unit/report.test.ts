// report.json shape and numbers (mean ± sd over seeds, per-label means, LLM totals, dataset counts) and HTML escaping.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildReport,
  renderReportHtml,
  writeReport,
  type Report,
  type ReportAgreement,
  type ReportSafety,
} from '../../lib/report/report.js';
import { RUN_FILES, writeJson, writeJsonl } from '../../lib/run/run-dir.js';
import { evalPath, type MixEvaluation } from '../../lib/evaluate/predictions.js';
import { initialProgress, type RunProgress } from '../../lib/run/run-state.js';
import { experimentSchema, type Experiment } from '../../lib/config/experiment.js';
import type { MergeSummary } from '../../lib/dataset/merge.js';
import type { LabelScores } from '../../lib/evaluate/metrics.js';

const EVIL = '<script>alert("x")</script>';
const LABELS = ['memory_loss', EVIL];
const MIXES = ['gold', 'gold+silver', 'gold+bronze'];

/** A minimal experiment: the schema fills the defaults, so the fixture follows the schema as it grows. */
function experiment(runDir: string): Experiment {
  const file = experimentSchema.parse({
    name: 'report-test',
    taxonomy: join(runDir, 'taxonomy.yaml'),
    gold: { train: join(runDir, 'gold-train.jsonl'), test: join(runDir, 'gold-test.jsonl') },
    train: { seeds: [1, 2, 3] },
    // gold+bronze has no eval files: it must be left out of the report
    evaluate: { mixes: MIXES },
    output: runDir,
  });
  return { ...file, file: join(runDir, 'experiment.yaml'), labels: LABELS, taxonomyVersion: 'test-tax@7' };
}

const score = (precision: number, recall: number, f1: number, support: number): LabelScores => ({
  precision,
  recall,
  f1,
  support,
});

function evaluation(
  mix: string,
  seed: number,
  microF1: number,
  macroF1: number,
  perLabel: Record<string, LabelScores>,
  trainedOn = 40,
): MixEvaluation {
  return {
    mix,
    seed,
    trainedOn,
    metrics: { perLabel, microF1, microPrecision: microF1, microRecall: microF1, macroF1, macroF1Supported: macroF1 },
  };
}

const SAFETY: ReportSafety = {
  phiRows: { gold: 0, silver: 2, bronze: 0 },
  phiByKind: { date: 2, phone: 1 },
  leakageDropped: { silver: 3, bronze: 1 },
  nearDuplicatesDropped: 4,
};

/** A run directory with experiment.json, eval files for gold (3 seeds) and gold+silver (2 of 3 seeds), and summary.json. */
function makeFakeRun(runDir: string, opts: { safety?: boolean } = {}): void {
  writeJson(join(runDir, RUN_FILES.experiment), experiment(runDir));
  // gold: microF1 0.6/0.7/0.8, macroF1 0.5/0.5/0.8
  const goldLabel = [score(0.5, 1, 0.6, 4), score(1, 0.5, 0.7, 4), score(0.75, 0.75, 0.8, 4)];
  const goldEvil = [score(0, 0, 0, 3), score(0.3, 0.6, 0.3, 3), score(0.6, 0.9, 0.9, 3)];
  [0.6, 0.7, 0.8].forEach((micro, i) => {
    const seed = i + 1;
    writeJson(
      evalPath(runDir, 'gold', seed),
      evaluation('gold', seed, micro, [0.5, 0.5, 0.8][i]!, { memory_loss: goldLabel[i]!, [EVIL]: goldEvil[i]! }, 36),
    );
  });
  // gold+silver: seeds 1 and 2 only; microF1 0.9/0.7, macroF1 0.4/0.6
  writeJson(
    evalPath(runDir, 'gold+silver', 1),
    evaluation('gold+silver', 1, 0.9, 0.4, { memory_loss: score(0.2, 0.4, 0.3, 4), [EVIL]: score(1, 1, 1, 3) }, 58),
  );
  writeJson(
    evalPath(runDir, 'gold+silver', 2),
    evaluation(
      'gold+silver',
      2,
      0.7,
      0.6,
      { memory_loss: score(0.4, 0.6, 0.5, 4), [EVIL]: score(0.5, 0.5, 0.5, 3) },
      58,
    ),
  );
  const summary: MergeSummary & { safety?: ReportSafety } = {
    counts: {
      gold_train: 36,
      gold_train_usable: 36,
      gold_test: 20,
      gold_test_usable: 20,
      silver: 22,
      silver_usable: 20,
      bronze: 13,
      bronze_usable: 11,
    },
    composition: [
      { source: 'gold', label: 'memory_loss', n: 10 },
      { source: 'silver', label: 'memory_loss', n: 6 },
      { source: 'bronze', label: EVIL, n: 5 },
      { source: 'gold', label: 'none', n: 12 },
    ],
    verdicts: [
      { source: 'silver', verdict: 'keep', n: 18 },
      { source: 'silver', verdict: 'fix', n: 2 },
      { source: 'silver', verdict: 'reject', n: 2 },
      { source: 'bronze', verdict: 'keep', n: 11 },
      { source: 'bronze', verdict: 'reject', n: 2 },
    ],
    ...(opts.safety ? { safety: SAFETY } : {}),
  };
  writeJson(join(runDir, RUN_FILES.datasets, 'summary.json'), summary);
}

function fakeProgress(runDir: string, withCost = false): RunProgress {
  const p = initialProgress('run-42', runDir, 'report-test');
  p.llm = { calls: 30, cacheHits: 5, promptTokens: 12000, completionTokens: 3400, failures: 2 };
  // the run's spend is on the progress (null while the price is unknown); a spent budget is flagged in the report
  if (withCost) Object.assign(p, { costUsd: 0.0123, budgetExhausted: true });
  p.llmByStage = {
    silver: { calls: 10, cacheHits: 5, promptTokens: 4000, completionTokens: 1000, failures: 0 },
    bronze: { calls: 20, cacheHits: 0, promptTokens: 8000, completionTokens: 2400, failures: 2 },
  };
  for (const s of Object.values(p.stages)) s.status = 'done';
  p.stages.silver = { status: 'done', done: 3, total: 3, failedPages: 0 };
  p.counts = { goldTrain: 36, goldTest: 20 };
  return p;
}

let runDir: string;
beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), 'clinsynth-report-'));
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

const build = (extra: Partial<Parameters<typeof buildReport>[0]> = {}): Report =>
  buildReport({ runDir, progress: fakeProgress(runDir), workflowId: 'clinsynth-run-42', ...extra });

describe('buildReport', () => {
  it('computes mean and sample sd over the seeds that have eval files', () => {
    makeFakeRun(runDir);
    const r = build();
    expect(Object.keys(r.mixes)).toEqual(['gold', 'gold+silver']); // gold+bronze: no eval files
    const gold = r.mixes.gold!;
    // micro 0.6, 0.7, 0.8: mean 0.7; sd = sqrt((0.01 + 0 + 0.01) / 2) = 0.1
    expect(gold.microF1.mean).toBeCloseTo(0.7, 12);
    expect(gold.microF1.sd).toBeCloseTo(0.1, 12);
    // macro 0.5, 0.5, 0.8: mean 0.6; sd = sqrt((0.01 + 0.01 + 0.04) / 2) = sqrt(0.03)
    expect(gold.macroF1.mean).toBeCloseTo(0.6, 12);
    expect(gold.macroF1.sd).toBeCloseTo(0.17320508075688773, 12);
    expect(gold.seeds).toEqual([1, 2, 3]);
    expect(gold.trainedOn).toEqual([36, 36, 36]);
    const gs = r.mixes['gold+silver']!;
    // micro 0.9, 0.7: mean 0.8, sd = sqrt(0.02 / 1); macro 0.4, 0.6: mean 0.5, same sd
    expect(gs.microF1.mean).toBeCloseTo(0.8, 12);
    expect(gs.microF1.sd).toBeCloseTo(Math.SQRT2 / 10, 12);
    expect(gs.macroF1.mean).toBeCloseTo(0.5, 12);
    expect(gs.macroF1.sd).toBeCloseTo(Math.SQRT2 / 10, 12);
    expect(gs.seeds).toEqual([1, 2]);
  });

  it('averages per-label precision, recall and F1 over seeds', () => {
    makeFakeRun(runDir);
    const r = build();
    const ml = r.mixes.gold!.perLabel.memory_loss!;
    expect(ml.precision).toBeCloseTo((0.5 + 1 + 0.75) / 3, 12);
    expect(ml.recall).toBeCloseTo((1 + 0.5 + 0.75) / 3, 12);
    expect(ml.f1).toBeCloseTo(0.7, 12);
    expect(ml.f1Sd).toBeCloseTo(0.1, 12);
    expect(ml.support).toBe(4);
    const evil = r.mixes.gold!.perLabel[EVIL]!;
    expect(evil.precision).toBeCloseTo(0.3, 12);
    expect(evil.recall).toBeCloseTo(0.5, 12);
    expect(evil.f1).toBeCloseTo(0.4, 12);
    const gs = r.mixes['gold+silver']!.perLabel;
    expect(gs.memory_loss).toMatchObject({ support: 4 });
    expect(gs.memory_loss!.precision).toBeCloseTo(0.3, 12);
    expect(gs.memory_loss!.recall).toBeCloseTo(0.5, 12);
    expect(gs.memory_loss!.f1).toBeCloseTo(0.4, 12);
    expect(gs[EVIL]!.f1).toBeCloseTo(0.75, 12);
  });

  it('has the spec shape: mixes, llm totals, datasets counts (plus the report extras)', () => {
    makeFakeRun(runDir);
    const r = JSON.parse(JSON.stringify(build())) as Record<string, unknown>;
    for (const key of [
      'mixes',
      'llm',
      'datasets',
      'runId',
      'experiment',
      'taxonomyVersion',
      'workflowId',
      'uiUrl',
      'selfCheck',
      'composition',
      'safety',
      'stages',
      'counts',
      'generatedAt',
    ]) {
      expect(r, key).toHaveProperty(key);
    }
    const mix = (r.mixes as Record<string, Record<string, unknown>>).gold!;
    expect(Object.keys(mix.microF1 as object).sort()).toEqual(['mean', 'sd']);
    expect(Object.keys(mix.macroF1 as object).sort()).toEqual(['mean', 'sd']);
    expect(Object.keys((mix.perLabel as Record<string, object>).memory_loss!)).toEqual(
      expect.arrayContaining(['precision', 'recall', 'f1']),
    );
    expect(r.llm).toMatchObject({ calls: 30, cacheHits: 5, promptTokens: 12000, completionTokens: 3400, failures: 2 });
    expect((r.llm as Report['llm']).byStage.bronze).toMatchObject({ calls: 20, failures: 2 });
    expect(r.llm).not.toHaveProperty('costUsd');
    expect(r.datasets).toEqual({
      gold: 36,
      goldTest: 20,
      silver: 22,
      silverUsable: 20,
      bronze: 13,
      bronzeUsable: 11,
      bronzeRejected: 0,
    });
    expect(r).toMatchObject({
      runId: 'run-42',
      experiment: 'report-test',
      taxonomyVersion: 'test-tax@7',
      workflowId: 'clinsynth-run-42',
      uiUrl: null,
      safety: null,
    });
    expect(r).not.toHaveProperty('agreement');
  });

  it('copies summary.safety, the LLM cost and the agreement when they exist', async () => {
    makeFakeRun(runDir, { safety: true });
    const agreement: ReportAgreement = {
      silver: {
        microF1: 0.61,
        macroF1: 0.52,
        n: 22,
        perLabel: { memory_loss: { precision: 0.7, recall: 0.6, f1: 0.646 } },
      },
    };
    const r = buildReport({ runDir, progress: fakeProgress(runDir, true), workflowId: 'w', agreement });
    expect(r.safety).toEqual(SAFETY);
    expect(r.llm.costUsd).toBeCloseTo(0.0123, 12);
    expect(r.agreement).toEqual(agreement);
    const html = await renderReportHtml(r);
    expect(html).toContain('id="agreement"');
    expect(html).toContain('LLM as annotator');
    expect(html).toContain('Estimated LLM cost');
    expect(html).toContain('$0.0123');
    expect(r.llm.budgetExhausted).toBe(true);
    expect(html).toContain('LLM budget (llm.budgetUsd) ran out');
    expect(html).not.toContain('not computed');
    expect(html).toMatch(/near duplicates<\/th><td>4</);
  });

  it('works without datasets/summary.json', async () => {
    makeFakeRun(runDir);
    rmSync(join(runDir, RUN_FILES.datasets), { recursive: true });
    const r = build();
    expect(r.datasets.gold).toBe(0);
    expect(r.composition).toEqual([]);
    expect(r.safety).toBeNull();
    expect(await renderReportHtml(r)).toContain('No composition recorded');
  });
});

describe('writeReport', () => {
  it('writes both files and keeps the previous UI link when rebuilt without one', async () => {
    makeFakeRun(runDir);
    const progress = fakeProgress(runDir);
    const uiUrl = 'http://localhost:8233/namespaces/default/workflows/clinsynth-run-42';
    const first = await writeReport({ runDir, progress, workflowId: 'clinsynth-run-42', uiUrl });
    expect(JSON.parse(readFileSync(first.reportPath, 'utf8')).uiUrl).toBe(uiUrl);
    const again = await writeReport({ runDir, progress, workflowId: 'clinsynth-run-42' });
    expect(JSON.parse(readFileSync(again.reportPath, 'utf8')).uiUrl).toBe(uiUrl);
    expect(readFileSync(again.htmlPath, 'utf8')).toContain(`href="${uiUrl}"`);
    const other = 'http://ui.example:8080/namespaces/x/workflows/clinsynth-run-42';
    await writeReport({ runDir, progress, workflowId: 'clinsynth-run-42', uiUrl: other });
    expect(JSON.parse(readFileSync(again.reportPath, 'utf8')).uiUrl).toBe(other);
  });
});

describe('renderReportHtml', () => {
  it('shows no sd over seeds for a deterministic head (logreg), and shows it for mlp', async () => {
    makeFakeRun(runDir);
    const logreg = build();
    expect(logreg.mixes.gold!.seedsApply).toBe(false);
    const html = await renderReportHtml(logreg);
    expect(html).toContain('train.seeds do not apply to it and no sd over seeds is shown');
    expect(html).toContain('<td>0.600</td>');
    expect(html).not.toContain('<td>0.600 ± 0.173</td>');
    const e = experiment(runDir);
    writeJson(join(runDir, RUN_FILES.experiment), { ...e, train: { ...e.train, classifier: 'mlp' } });
    const mlp = build();
    expect(mlp.mixes.gold!.seedsApply).toBe(true);
    const mlpHtml = await renderReportHtml(mlp);
    expect(mlpHtml).toContain('<td>0.600 ± 0.173</td>');
    expect(mlpHtml).not.toContain('train.seeds do not apply');
  });

  it('escapes labels and mixes and draws no script', async () => {
    makeFakeRun(runDir);
    const r = build();
    // a mix named like markup (mix names come from a validated file, but the renderer must not trust that)
    r.mixes[EVIL] = r.mixes['gold+silver']!;
    r.selfCheck.push({ source: EVIL, verdict: EVIL, n: 1 });
    r.stages = { ...r.stages, [EVIL]: { status: 'done', done: 0, total: 0, failedPages: 0 } } as Report['stages'];
    r.uiUrl = 'javascript:alert(1)';
    const html = await renderReportHtml(r);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;');
    // In the Vega-Lite charts the names are SVG text and aria-labels, escaped like every other text.
    expect(html).toMatch(/aria-label="&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;: macro-F1/);
  });

  it('names the confidence level of evaluate.alpha: 90% at alpha 0.1, on every chart and table', async () => {
    makeFakeRun(runDir);
    const r = build();
    r.evaluation.alpha = 0.1;
    const d = (delta: number) => ({ delta, ci: [delta - 0.05, delta + 0.05] as [number, number] });
    const c = {
      baseline: 'gold',
      macroF1: { ...d(0.1), p: 0.01, pHolm: 0.01 },
      microF1: { ...d(0.02), p: 0.3 },
      perLabel: { memory_loss: d(0.2) },
      sentences: 20,
      notes: 8,
    };
    r.comparisons = { 'gold+silver': c };
    r.review = {
      ...(r.review ?? { tasks: 1, reviewed: 1, changed: 1, dropped: 0, reviewers: 1, byReason: {} }),
      outcome: 'imported',
      effect: { 'gold+silver': { ...c, baseline: 'gold+silver before review' } },
    } as Report['review'];
    const html = await renderReportHtml(r);
    expect(html).not.toContain('95%');
    expect(html).toContain('Δ macro-F1 vs gold (90% CI)');
    expect(html).toContain('90% paired cluster-bootstrap interval');
    expect(html).toContain('Δ macro-F1 [90% CI]');
    expect(html).toContain('has a 90% CI that excludes 0');
    expect(html).toContain('(90% CI excludes 0)');
  });

  it('marks the SVG charts so their parts can be counted', async () => {
    makeFakeRun(runDir);
    const html = await renderReportHtml(build());
    expect(html).toContain('id="f1-chart"');
    expect(html).toContain('id="label-heatmap"');
    expect(html).toContain('id="composition-chart"');
    // One bar per mix and metric, one cell per label and mix (each mark names itself in its aria-label).
    expect(html.match(/aria-label="[^"]*: (macro|micro)-F1 \d/g)).toHaveLength(2 * 2);
    expect(html.match(/aria-label="[^"]* · [^"]*: F1 \d/g)).toHaveLength(2 * 2);
    // Composition and verdicts are Vega-Lite charts too: one bar segment per label and source, per set and verdict.
    expect(html.match(/aria-label="[^"]* · [^"]*: \d+ training rows? \(/g)).toHaveLength(4);
    expect(html).toContain('aria-label="memory_loss · silver: 6 training rows (38% of the label)"'); // docs/report.md
    expect(html).toContain('id="verdict-chart"');
    expect(html.match(/aria-label="[^"]* · (keep|fix|reject): \d+ \(\d+%\)"/g)).toHaveLength(5);
    expect(html).toContain('not computed');
    expect(html).not.toContain('id="agreement"');
    expect(html).not.toContain('Estimated LLM cost');
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);
    expect(html).not.toMatch(/(src|href)="https?:/); // no UI link in this report, and nothing else points outside
  });
});

describe('the human review section', () => {
  /** review/ of a run: two tasks (one labelled with a markup-like label), one decision relabelling it. */
  function withReview(sawTestLabels: boolean): void {
    makeFakeRun(runDir);
    const task = (id: string, llmLabels: string[], reasons: string[]) => ({
      ref: `silver:${id}`,
      set: 'silver',
      id,
      text: `Sentence ${id}.`,
      llmLabels,
      verdict: 'fix',
      reasons,
    });
    writeJsonl(join(runDir, RUN_FILES.reviewSelection), [
      task('s1', [EVIL], ['selfcheck-fix', 'disagreement']),
      task('s2', [], ['disagreement']),
    ]);
    writeJson(join(runDir, RUN_FILES.reviewStats), {
      candidates: 9,
      max: 2,
      select: ['selfcheck-fix', 'disagreement'],
      matching: {},
      chosenBy: {},
      selected: 2,
      classifier: { goldRows: 36, sawTestLabels },
    });
    writeJsonl(join(runDir, RUN_FILES.reviewed), [
      {
        ref: 'silver:s1',
        set: 'silver',
        id: 's1',
        labels: ['memory_loss'],
        drop: false,
        llmLabels: [EVIL],
        reasons: ['selfcheck-fix', 'disagreement'],
        reviewer: 'ann',
        reviewedAt: '2025-03-01T00:00:00.000Z',
      },
    ]);
  }

  it('counts each reviewer of a task several reviewed, and says on how many tasks they disagreed', async () => {
    withReview(false);
    const two = (reviewer: string, labels: string[]) => ({
      reviewer,
      labels,
      drop: false,
      reviewedAt: '2025-03-01T00:00:00.000Z',
    });
    writeJsonl(join(runDir, RUN_FILES.reviewed), [
      {
        ref: 'silver:s1',
        set: 'silver',
        id: 's1',
        labels: [EVIL],
        drop: false,
        llmLabels: [EVIL],
        reasons: ['selfcheck-fix', 'disagreement'],
        reviewer: 'ann, bob',
        reviewedAt: '2025-03-01T00:00:00.000Z',
        reviews: [two('ann', [EVIL]), two('bob', [])],
        disagreement: true,
      },
    ]);
    const progress = fakeProgress(runDir);
    progress.review = { state: 'imported', tasks: 2, refused: 0 };
    const r = buildReport({ runDir, progress, workflowId: 'clinsynth-run-42' });
    expect(r.review).toMatchObject({ reviewed: 1, reviewers: 2, disagreements: 1 });
    expect(await renderReportHtml(r)).toContain('On 1 task the reviewers disagreed: per label the majority counts');
  });

  it('counts reasons and per-label agreement, escapes labels, and notes a selection that saw test labels', async () => {
    withReview(true);
    const progress = fakeProgress(runDir);
    progress.review = { state: 'imported', tasks: 2, refused: 0 };
    const r = buildReport({ runDir, progress, workflowId: 'clinsynth-run-42' });
    expect(r.review).toMatchObject({
      outcome: 'imported',
      tasks: 2,
      reviewed: 1,
      changed: 1,
      dropped: 0,
      reviewers: 1,
      effect: {},
    });
    expect(r.review!.byReason).toEqual({
      'selfcheck-fix': { tasks: 1, reviewed: 1, changed: 1, dropped: 0 },
      disagreement: { tasks: 2, reviewed: 1, changed: 1, dropped: 0 },
    });
    expect(r.review!.agreement).toMatchObject({
      n: 1,
      exactMatch: 0,
      perLabel: {
        memory_loss: { llm: 0, reviewer: 1, both: 0, agreement: 0 },
        [EVIL]: { llm: 1, reviewer: 0, both: 0, agreement: 0 },
      },
    });
    const html = await renderReportHtml(r);
    expect(html).toContain('<section id="review"><h2>Human review</h2>');
    expect(html).toContain(
      '<b>1</b> of 2 exported rows were reviewed by 1 reviewer: 1 relabelled, 0 dropped, 0 confirmed',
    );
    expect(html).toContain(
      '<tr><th>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</th><td>1</td><td>0</td><td>0</td><td class="warn">0%</td></tr>',
    );
    expect(html).toContain('test folds included');
    expect(html).not.toContain('<script');
  });

  it('says so when the review was skipped, and has no section without a review', async () => {
    withReview(false);
    rmSync(join(runDir, RUN_FILES.reviewed));
    const progress = fakeProgress(runDir);
    progress.review = { state: 'skipped', tasks: 2, refused: 0 };
    const r = buildReport({ runDir, progress, workflowId: 'clinsynth-run-42' });
    expect(r.review).toMatchObject({ outcome: 'skipped', reviewed: 0, agreement: null });
    const html = await renderReportHtml(r);
    expect(html).toContain('the review was skipped');
    expect(html).not.toContain('test folds included');
    rmSync(join(runDir, 'review'), { recursive: true });
    const none = build();
    expect(none.review).toBeUndefined();
    expect(await renderReportHtml(none)).not.toContain('id="review"');
  });
});
