// Agreement with its uncertainty: per label Cohen's κ, precision and recall of the LLM against gold (note-cluster bootstrap CIs), and of reviewers against the LLM.
import { join } from 'node:path';
import { mulberry32 } from '../run/random.js';
import { interval, numberClusters } from './paired-bootstrap.js';
import { pageFiles, readJsonl, RUN_FILES, writeJsonl } from '../run/run-dir.js';
import type { GoldRow, SilverRow, Verdict, VerdictRow } from '../run/records.js';

/**
 * Definitions (binary, one label at a time; `tests/reference/agreement.py` checks them with scikit-learn):
 * - Counts over sentences: TP = gold∋l ∧ llm∋l, FP = gold∌l ∧ llm∋l, FN = gold∋l ∧ llm∌l, TN = the rest.
 * - precision = TP/(TP+FP), recall = TP/(TP+FN), 0 when the denominator is 0 (scikit-learn zero_division=0).
 * - Cohen's κ = (p_o − p_e)/(1 − p_e), p_o = (TP+TN)/n, p_e = ((TP+FP)(TP+FN) + (FN+TN)(FP+TN))/n², as scikit-learn
 *   `cohen_kappa_score(gold_l, llm_l)` (unweighted); undefined (null) when p_e = 1 (both sides constant).
 * - CI: a cluster bootstrap with notes as clusters (numberClusters: a sentence without a note is its own cluster):
 *   each resample draws nClusters clusters with replacement (mulberry32(seed), floor(u·nClusters)), one draw for every
 *   label; the interval is the numpy-linear percentile interval of the resampled values (resamples where κ is
 *   undefined are left out of κ's interval).
 */

/** One gold test sentence as the LLM labelled it (eval/agreement.jsonl): enough to recompute every figure. */
export interface AgreementLine {
  id: string;
  note: string | null;
  gold: string[];
  llm: string[];
  /** After the self-check: `fix` labels, the first answer for `keep`, null when rejected or when no self-check ran. */
  llmAfterSelfCheck: string[] | null;
  verdict: Verdict | null;
}

export const AGREEMENT_FILE = join('eval', 'agreement.jsonl');

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface Estimate {
  /** null: undefined on these sentences (κ with p_e = 1). */
  value: number | null;
  ci: [number, number] | null;
}

export interface LabelAgreementStats {
  confusion: Confusion;
  kappa: Estimate;
  precision: Estimate;
  recall: Estimate;
}

export interface AgreementSet {
  sentences: number;
  clusters: number;
  perLabel: Record<string, LabelAgreementStats>;
}

export interface ReviewerKappa {
  /** Reviewed, kept rows; reviewer taken as the first rater, the LLM as the second. */
  n: number;
  confusion: Confusion;
  kappa: number | null;
}

/** report.json `agreement.withCi`: the LLM against gold before and after the self-check, reviewers against the LLM. */
export interface AgreementWithCi {
  resamples: number;
  alpha: number;
  before: AgreementSet;
  /** Only sentences the self-check did not reject. */
  after?: AgreementSet & { rejected: number };
  reviewers?: Record<string, ReviewerKappa>;
}

/** lib/review/summary.ts `agreement`: reviewed, kept rows and per label those the LLM, the reviewer and both gave it. */
export interface ReviewCounts {
  n: number;
  perLabel: Record<string, { llm: number; reviewer: number; both: number }>;
}

const div = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function cohenKappa(c: Confusion): number | null {
  const n = c.tp + c.fp + c.fn + c.tn;
  if (n === 0) return null;
  const po = (c.tp + c.tn) / n;
  const pe = ((c.tp + c.fp) * (c.tp + c.fn) + (c.fn + c.tn) * (c.fp + c.tn)) / (n * n);
  return pe === 1 ? null : (po - pe) / (1 - pe);
}

export function confusionOf(
  gold: readonly (readonly string[])[],
  llm: readonly (readonly string[])[],
  label: string,
): Confusion {
  const c: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  gold.forEach((g, i) => {
    const a = g.includes(label);
    const b = (llm[i] ?? []).includes(label);
    if (a && b) c.tp++;
    else if (b) c.fp++;
    else if (a) c.fn++;
    else c.tn++;
  });
  return c;
}

const scores = (c: Confusion): [number | null, number, number] => [
  cohenKappa(c),
  div(c.tp, c.tp + c.fp),
  div(c.tp, c.tp + c.fn),
];

/** κ, precision and recall per label with note-cluster bootstrap CIs (definitions at the top of this file). */
export function agreementWithCi(
  gold: readonly (readonly string[])[],
  llm: readonly (readonly string[])[],
  clusters: readonly (string | null | undefined)[],
  labels: readonly string[],
  opts: { resamples: number; alpha: number; seed: number },
): AgreementSet {
  const { clusterOf, clusterNames } = numberClusters(clusters);
  const nC = clusterNames.length;
  const L = labels.length;
  // Per cluster and label: TP, FP, FN, TN.
  const counts = new Int32Array(nC * L * 4);
  gold.forEach((g, i) => {
    labels.forEach((l, k) => {
      const a = g.includes(l);
      const b = (llm[i] ?? []).includes(l);
      counts[(clusterOf[i]! * L + k) * 4 + (a && b ? 0 : b ? 1 : a ? 2 : 3)]! += 1;
    });
  });
  const R = opts.resamples;
  const boot = labels.map(() => ({
    kappa: [] as number[],
    precision: new Float64Array(R),
    recall: new Float64Array(R),
  }));
  const rand = mulberry32(opts.seed);
  const w = new Int32Array(nC);
  for (let r = 0; r < R && nC > 0; r++) {
    w.fill(0);
    for (let d = 0; d < nC; d++) w[Math.floor(rand() * nC)]! += 1;
    for (let k = 0; k < L; k++) {
      const c: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
      for (let j = 0; j < nC; j++) {
        const m = w[j]!;
        if (m === 0) continue;
        const o = (j * L + k) * 4;
        c.tp += m * counts[o]!;
        c.fp += m * counts[o + 1]!;
        c.fn += m * counts[o + 2]!;
        c.tn += m * counts[o + 3]!;
      }
      const [kappa, p, rec] = scores(c);
      if (kappa !== null) boot[k]!.kappa.push(kappa);
      boot[k]!.precision[r] = p;
      boot[k]!.recall[r] = rec;
    }
  }
  const perLabel: Record<string, LabelAgreementStats> = {};
  labels.forEach((l, k) => {
    const c = confusionOf(gold, llm, l);
    const [kappa, p, rec] = scores(c);
    const b = boot[k]!;
    const ci = (v: Float64Array) => (v.length ? interval(v, opts.alpha) : null);
    perLabel[l] = {
      confusion: c,
      kappa: { value: kappa, ci: ci(Float64Array.from(b.kappa)) },
      precision: { value: p, ci: nC ? ci(b.precision) : null },
      recall: { value: rec, ci: nC ? ci(b.recall) : null },
    };
  });
  return { sentences: gold.length, clusters: nC, perLabel };
}

/** Reviewer-vs-LLM κ per label from the review summary's counts (rows the LLM gave a label, the reviewer, both). */
export function reviewerKappa(a: ReviewCounts): Record<string, ReviewerKappa> {
  const out: Record<string, ReviewerKappa> = {};
  for (const [label, x] of Object.entries(a.perLabel)) {
    const confusion = {
      tp: x.both,
      fp: x.llm - x.both,
      fn: x.reviewer - x.both,
      tn: a.n - x.llm - x.reviewer + x.both,
    };
    out[label] = { n: a.n, confusion, kappa: cohenKappa(confusion) };
  }
  return out;
}

/** The gold test sentences the LLM labelled (probe), with gold, first answer and self-checked labels; [] when none. */
export function agreementLines(runDir: string): AgreementLine[] {
  const labelled = pageFiles(runDir, 'probe').flatMap((f) => readJsonl<SilverRow>(f));
  const gold = new Map(readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTest)).map((r) => [r.id, r]));
  const verdicts = new Map(
    pageFiles(runDir, 'verdictsProbe')
      .flatMap((f) => readJsonl<VerdictRow>(f))
      .map((v) => [v.id, v]),
  );
  const checked = verdicts.size > 0;
  return labelled
    .filter((r) => gold.has(r.id))
    .map((r) => {
      const g = gold.get(r.id)!;
      const v = verdicts.get(r.id);
      const after = !checked || v?.verdict === 'reject' ? null : v?.verdict === 'fix' ? v.labels : r.labels;
      return {
        id: r.id,
        note: g.noteId ?? null,
        gold: [...g.labels].sort(),
        llm: [...r.labels].sort(),
        llmAfterSelfCheck: after ? [...after].sort() : null,
        verdict: v?.verdict ?? null,
      };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Writes eval/agreement.jsonl and returns the figures; undefined when the run did not label its gold test sentences.
 * `selfChecked`: whether the run self-checked them (else there is no `after`).
 */
export function measureAgreement(
  runDir: string,
  labels: readonly string[],
  opts: { resamples: number; alpha: number; seed: number; review?: { agreement: ReviewCounts | null } | undefined },
): AgreementWithCi | undefined {
  const lines = agreementLines(runDir);
  if (!lines.length) return undefined;
  writeJsonl(join(runDir, AGREEMENT_FILE), lines);
  const result: AgreementWithCi = {
    resamples: opts.resamples,
    alpha: opts.alpha,
    before: agreementWithCi(
      lines.map((l) => l.gold),
      lines.map((l) => l.llm),
      lines.map((l) => l.note),
      labels,
      opts,
    ),
  };
  if (lines.some((l) => l.verdict !== null)) {
    const kept = lines.filter((l) => l.llmAfterSelfCheck !== null);
    result.after = {
      ...agreementWithCi(
        kept.map((l) => l.gold),
        kept.map((l) => l.llmAfterSelfCheck!),
        kept.map((l) => l.note),
        labels,
        opts,
      ),
      rejected: lines.length - kept.length,
    };
  }
  if (opts.review?.agreement) result.reviewers = reviewerKappa(opts.review.agreement);
  return result;
}
