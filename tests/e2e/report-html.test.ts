// report.html in a real browser: headless Chromium lays out the page, the charts' bars and cells are counted, a screenshot is taken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../../lib/report/report.js';
import { RUN_FILES, writeJson, writeJsonl } from '../../lib/run/run-dir.js';
import { evalPath, predictionsPath, type MixEvaluation } from '../../lib/evaluate/predictions.js';
import { initialProgress } from '../../lib/run/run-state.js';
import { experimentSchema, type Experiment } from '../../lib/config/experiment.js';
import type { MergeSummary } from '../../lib/dataset/merge.js';
import type { LabelScores } from '../../lib/evaluate/metrics.js';
import { chromiumPath, dumpDom, screenshot } from '../support/chromium.js';

const LABELS = [
  'cognitive_impairment',
  'neuropsychiatric_symptoms',
  'dementia_treatment',
  'requiring_assistance',
  '<script>alert("x")</script>',
];
const MIXES = ['gold', 'gold+silver', 'gold+bronze', 'gold+silver+bronze'];
const SEEDS = [1, 2, 3];

/** Deterministic numbers in [0, 1) so the fake run is the same on every machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x ^ (x >>> 15), 2246822519) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

/** A finished-looking run: experiment.json, one eval file per (mix, seed), datasets/summary.json. */
function makeFakeRun(runDir: string): void {
  const file = experimentSchema.parse({
    name: 'report-e2e',
    taxonomy: join(runDir, 'taxonomy.yaml'),
    gold: { train: join(runDir, 'gold-train.jsonl'), test: join(runDir, 'gold-test.jsonl') },
    train: { seeds: SEEDS },
    evaluate: { mixes: MIXES, bootstrap: 1000, curves: { synthetic: [0.5, 1], gold: [0.5, 1] } },
    output: runDir,
  });
  const e: Experiment = {
    ...file,
    file: join(runDir, 'experiment.yaml'),
    labels: LABELS,
    taxonomyVersion: 'ad-signs-symptoms@1',
  };
  writeJson(join(runDir, RUN_FILES.experiment), e);
  const rand = rng(42);
  MIXES.forEach((mix, m) => {
    for (const seed of SEEDS) {
      const perLabel: Record<string, LabelScores> = {};
      LABELS.forEach((l, i) => {
        const support = i === 2 ? 0 : 3 + i; // one label without gold test support
        const precision = support ? Math.min(1, 0.35 + 0.1 * m + 0.3 * rand()) : 0;
        const recall = support ? Math.min(1, 0.3 + 0.08 * m + 0.3 * rand()) : 0;
        const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
        perLabel[l] = { precision, recall, f1, support };
      });
      const f1s = Object.values(perLabel).map((s) => s.f1);
      const macroF1 = f1s.reduce((a, b) => a + b, 0) / f1s.length;
      const ev: MixEvaluation = {
        mix,
        seed,
        trainedOn: 36 + 20 * m,
        metrics: {
          perLabel,
          microF1: Math.min(1, macroF1 + 0.08),
          microPrecision: 0,
          microRecall: 0,
          macroF1,
          macroF1Supported: macroF1,
        },
      };
      writeJson(evalPath(runDir, mix, seed), ev);
      // Pooled out-of-fold predictions: 30 sentences of 10 notes; the better mixes hit more gold labels.
      const rows = Array.from({ length: 30 }, (_, i) => {
        const gold = LABELS.filter((_, j) => j !== 2 && (i + j) % 3 === 0);
        const pred = LABELS.filter((l, j) => (gold.includes(l) ? rand() < 0.4 + 0.15 * m : rand() < 0.1) && j !== 2);
        return { id: `t${i}`, note: `n${i % 10}`, fold: i % 5, gold, pred, scores: {} };
      });
      writeJsonl(predictionsPath(runDir, mix, seed), rows);
      for (const curve of [
        { axis: 'synthetic' as const, share: 0.5 },
        { axis: 'gold' as const, share: 0.5 },
      ]) {
        writeJson(evalPath(runDir, mix, seed, curve), {
          ...ev,
          trainedOn: Math.round(ev.trainedOn / 2),
          curve,
          metrics: { ...ev.metrics, macroF1: macroF1 * 0.8 },
        });
      }
    }
  });
  const composition: MergeSummary['composition'] = [];
  LABELS.forEach((label, i) => {
    composition.push(
      { source: 'gold', label, n: 4 + i },
      { source: 'silver', label, n: 2 * i },
      { source: 'bronze', label, n: 5 },
    );
  });
  composition.push({ source: 'gold', label: 'none', n: 12 }, { source: 'silver', label: 'none', n: 15 });
  const summary: MergeSummary = {
    counts: {
      gold_train: 36,
      gold_train_usable: 36,
      gold_test: 20,
      gold_test_usable: 20,
      silver: 30,
      silver_usable: 27,
      bronze: 25,
      bronze_usable: 21,
    },
    composition,
    verdicts: [
      { source: 'silver', verdict: 'keep', n: 24 },
      { source: 'silver', verdict: 'fix', n: 3 },
      { source: 'silver', verdict: 'reject', n: 3 },
      { source: 'bronze', verdict: 'keep', n: 21 },
      { source: 'bronze', verdict: 'reject', n: 4 },
    ],
    safety: {
      phiRows: { gold: 1, silver: 2, bronze: 0 },
      phiByKind: { date: 2, name: 1 },
      leakageDropped: { silver: 1, bronze: 0 },
      nearDuplicatesDropped: 3,
    },
  };
  writeJson(join(runDir, RUN_FILES.datasets, 'summary.json'), summary);
}

/** The outer HTML of the element that opens with `<svg id="...">` in a serialized DOM. */
function svgById(dom: string, id: string): string {
  const start = dom.indexOf(`<svg id="${id}"`);
  expect(start, `svg#${id} in the rendered DOM`).toBeGreaterThanOrEqual(0);
  return dom.slice(start, dom.indexOf('</svg>', start) + '</svg>'.length);
}
const count = (html: string, re: RegExp) => html.match(re)?.length ?? 0;

let dir: string;
let htmlPath: string;

beforeAll(async () => {
  chromiumPath(); // fails here, with the install command, when Chromium is missing
  dir = mkdtempSync(join(tmpdir(), 'clinsynth-report-e2e-'));
  const runDir = join(dir, 'run');
  makeFakeRun(runDir);
  const progress = initialProgress('e2e-run', runDir, 'report-e2e');
  progress.llm = { calls: 120, cacheHits: 30, promptTokens: 150_000, completionTokens: 21_000, failures: 4 };
  progress.llmByStage = {
    silver: { calls: 40, cacheHits: 10, promptTokens: 50_000, completionTokens: 6000, failures: 1 },
    bronze: { calls: 50, cacheHits: 20, promptTokens: 60_000, completionTokens: 11_000, failures: 3 },
    selfcheck: { calls: 30, cacheHits: 0, promptTokens: 40_000, completionTokens: 4000, failures: 0 },
  };
  for (const s of Object.values(progress.stages)) Object.assign(s, { status: 'done', done: 4, total: 4 });
  ({ htmlPath } = await writeReport({
    runDir,
    progress,
    workflowId: 'clinsynth-e2e-run',
    uiUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/clinsynth-e2e-run',
  }));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  it('lays out the charts with one mark per data point, the comparison and the learning curves', async () => {
    const dom = await dumpDom(htmlPath);
    expect(dom).toContain('clinsynth report');

    // Vega-Lite charts: each mark names itself in its aria-label.
    const f1 = svgById(dom, 'f1-chart');
    expect(count(f1, /aria-label="[^"]*: macro-F1 \d/g)).toBe(MIXES.length);
    expect(count(f1, /aria-label="[^"]*: micro-F1 \d/g)).toBe(MIXES.length);
    for (const m of MIXES) expect(f1).toContain(`aria-label="${m}: macro-F1`);

    const heat = svgById(dom, 'label-heatmap');
    expect(count(heat, /aria-label="[^"]* · [^"]*: F1 \d/g)).toBe((LABELS.length - 1) * MIXES.length); // the label without test support has no score cell
    expect(heat).toContain('(n=0)');

    // The comparison: one row per non-baseline mix in the forest plot, the headline in words, both learning curves.
    const forest = svgById(dom, 'forest-plot');
    for (const m of MIXES.slice(1)) expect(forest).toContain(m);
    expect(forest).toMatch(/[+−]\d\.\d{3} \[[+−]\d\.\d{3}, [+−]\d\.\d{3}\], p [=<] /);
    expect(dom).toContain('id="headline"');
    expect(
      count(dom, /macro-F1 \[[^\]]+\], p [=<] [^:]+: (not shown|better than gold|worse than gold)/g),
    ).toBeGreaterThanOrEqual(MIXES.length - 1);
    for (const id of ['curve-synthetic', 'curve-gold']) {
      const curve = svgById(dom, id);
      expect(curve, id).not.toContain('no data');
      for (const m of MIXES.slice(1)) expect(curve).toContain(m);
    }

    const comp = svgById(dom, 'composition-chart');
    // every label has gold and bronze rows, silver for all but the first (n = 0), plus 'none' from gold and silver
    expect(count(comp, /aria-label="[^"]* · [^"]*: \d+ training rows? \(/g)).toBe(LABELS.length * 3 - 1 + 2);
    const verdicts = svgById(dom, 'verdict-chart');
    expect(count(verdicts, /aria-label="[^"]* · (keep|fix|reject): \d+ \(\d+%\)"/g)).toBe(5);

    // safety, links and escaping as the browser parsed them
    expect(dom).toContain('id="safety"');
    expect(dom).not.toContain('not computed');
    expect(dom).toContain('href="http://127.0.0.1:8233/namespaces/default/workflows/clinsynth-e2e-run"');
    expect(dom).not.toMatch(/<script|<link|<img|<iframe|\ssrc=/);
  });

  it('renders a non-trivial screenshot', async () => {
    const size = { width: 1280, height: 2400 };
    const png = join(dir, 'report.png');
    await screenshot(htmlPath, png, size);
    const blankHtml = join(dir, 'blank.html');
    writeFileSync(blankHtml, '<!doctype html><html><body></body></html>');
    const blankPng = join(dir, 'blank.png');
    await screenshot(blankHtml, blankPng, size);

    if (process.env.CLINSYNTH_REPORT_SCREENSHOT) copyFileSync(png, process.env.CLINSYNTH_REPORT_SCREENSHOT); // to look at it

    const buf = readFileSync(png);
    expect(buf.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a'); // PNG signature
    expect(buf.readUInt32BE(16)).toBe(size.width); // IHDR width
    expect(buf.readUInt32BE(20)).toBe(size.height); // IHDR height
    expect(statSync(png).size).toBeGreaterThan(80 * 1024);
    expect(statSync(png).size).toBeGreaterThan(8 * statSync(blankPng).size); // an empty page of this size is ~14 KB
  });
});
