// A run's fidelity report (eval/fidelity.json): the measures of measures.ts on its silver and bronze rows against gold and the corpus sample.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { trainingRows, type TrainingRow } from '../dataset/merge.js';
import { LEAKAGE_THRESHOLD, type EmbedFn } from '../dataset/leakage.js';
import { pageFiles, readJson, readJsonl, readRunExperiment, writeJson, writeJsonl } from '../run/run-dir.js';
import type { CandidateRow } from '../run/records.js';
import { foldedGold } from '../model/training.js';
import {
  distribution,
  jensenShannonDivergence,
  labelDistribution,
  meanPairwiseCosine,
  nearest,
  textStats,
  type Distribution,
  type LabelDistribution,
  type TextStats,
} from './measures.js';

export const FIDELITY_FILE = join('eval', 'fidelity.json');
/** Each searched bronze sentence's nearest real sentence (gold or corpus), for the viewer's bronze-by-label page. */
export const BRONZE_NEAREST_FILE = join('eval', 'bronze-nearest.jsonl');

export interface BronzeNearest {
  id: string;
  of: 'gold' | 'corpus';
  nearestText: string;
  cosine: number;
}
/** Rows per set the measures use (evenly spaced by id when there are more): embeddings and pairs stay bounded. */
export const FIDELITY_SAMPLE = 5000;
/** Rows per set whose nearest gold / corpus sentence is searched (brute force), and corpus sentences searched. */
export const NEAREST_SAMPLE = 2000;
export const CORPUS_SAMPLE = 20000;

export interface GroupFidelity extends TextStats {
  selfSimilarity: number | null;
  /** Cosine of each sentence to its nearest gold sentence (train and test). */
  nearestGold: Distribution | null;
  /** Cosine of each bronze sentence to its nearest corpus sentence (null for silver: its sentences are corpus sentences). */
  nearestCorpus: Distribution | null;
}

export interface MemorisationRisk {
  id: string;
  text: string;
  of: 'gold' | 'corpus';
  nearestText: string;
  cosine: number;
}

export interface SetFidelity {
  rows: number;
  /** Rows the measures used (= rows unless more than FIDELITY_SAMPLE), and rows searched for neighbours. */
  sampled: number;
  nearestSampled: number;
  labelDistribution: LabelDistribution;
  /** Against gold's label distribution: divergence in bits, and its square root (scipy's jensenshannon, base 2). */
  jsDivergence: number | null;
  jsDistance: number | null;
  overall: GroupFidelity;
  perLabel: Record<string, GroupFidelity>;
  /** Bronze sentences whose nearest gold or corpus sentence is at or above the leakage threshold. */
  memorisationRisk: MemorisationRisk[];
}

export interface FidelityReport {
  encoder: string;
  leakageThreshold: number;
  corpusSentences: number;
  gold: { overall: TextStats; perLabel: Record<string, TextStats>; labelDistribution: LabelDistribution };
  sets: Partial<Record<'silver' | 'bronze', SetFidelity>>;
}

type Row = { id: string; text: string; labels: string[] };

/** Up to `max` rows, evenly spaced in id order (deterministic). */
export function evenSample<T extends { id: string }>(rows: readonly T[], max: number): T[] {
  const sorted = [...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (sorted.length <= max) return sorted;
  return Array.from({ length: max }, (_v, i) => sorted[Math.floor((i * sorted.length) / max)]!);
}

const groups = (rows: readonly Row[], labels: readonly string[]): [string, Row[]][] => [
  ...labels.map((l) => [l, rows.filter((r) => r.labels.includes(l))] as [string, Row[]]),
  ['none', rows.filter((r) => !r.labels.some((l) => labels.includes(l)))],
];

export async function measureFidelity(
  runDir: string,
  embed: EmbedFn,
  encoder: string,
  opts: { leakageThreshold?: number; bronzeNearest?: BronzeNearest[] } = {},
): Promise<FidelityReport> {
  const e = readRunExperiment(runDir);
  const labels = e.labels;
  const threshold = opts.leakageThreshold ?? LEAKAGE_THRESHOLD;
  const gold: Row[] = foldedGold(runDir).rows.map((r) => ({ id: r.id, text: r.text, labels: r.labels }));
  const synthetic: TrainingRow[] = existsSync(join(runDir, 'datasets', 'merged.parquet'))
    ? await trainingRows(runDir, ['silver', 'bronze'])
    : [];
  const corpus = evenSample(
    [
      ...new Map(
        pageFiles(runDir, 'candidates')
          .flatMap((f) => readJsonl<CandidateRow>(f))
          .map((c) => [c.text, { id: c.id, text: c.text }]),
      ).values(),
    ],
    CORPUS_SAMPLE,
  );
  const goldVecs = await embed(gold.map((r) => r.text));
  const corpusVecs = await embed(corpus.map((r) => r.text));
  const goldDist = labelDistribution(gold, labels);
  const report: FidelityReport = {
    encoder,
    leakageThreshold: threshold,
    corpusSentences: corpus.length,
    gold: {
      overall: textStats(gold.map((r) => r.text)),
      perLabel: Object.fromEntries(groups(gold, labels).map(([l, rs]) => [l, textStats(rs.map((r) => r.text))])),
      labelDistribution: goldDist,
    },
    sets: {},
  };
  for (const set of ['silver', 'bronze'] as const) {
    const all = synthetic.filter((r) => r.source === set);
    if (!all.length) continue;
    const rows = evenSample(all, FIDELITY_SAMPLE);
    const vecs = await embed(rows.map((r) => r.text));
    const vecOf = new Map(rows.map((r, i) => [r.id, vecs[i]!]));
    const probe = new Set(evenSample(rows, NEAREST_SAMPLE).map((r) => r.id));
    const probed = rows.filter((r) => probe.has(r.id));
    const nearMap = (refs: Float32Array[]) => {
      const hits = nearest(
        probed.map((r) => vecOf.get(r.id)!),
        refs,
      );
      return new Map(probed.map((r, i) => [r.id, hits[i]!]));
    };
    const nearG = nearMap(goldVecs);
    const nearC = set === 'bronze' ? nearMap(corpusVecs) : new Map<string, { index: number; cosine: number }>();
    const group = (rs: readonly Row[]): GroupFidelity => ({
      ...textStats(rs.map((r) => r.text)),
      selfSimilarity: meanPairwiseCosine(rs.map((r) => vecOf.get(r.id)!)),
      nearestGold: distribution(rs.flatMap((r) => (nearG.get(r.id) ? [nearG.get(r.id)!.cosine] : []))),
      nearestCorpus:
        set === 'bronze' ? distribution(rs.flatMap((r) => (nearC.get(r.id) ? [nearC.get(r.id)!.cosine] : []))) : null,
    });
    const dist = labelDistribution(all, labels);
    const js = jensenShannonDivergence(dist.counts, goldDist.counts);
    const risk: MemorisationRisk[] = [];
    if (set === 'bronze') {
      for (const r of rows) {
        const g = nearG.get(r.id);
        const c = nearC.get(r.id);
        const best =
          g && (!c || g.cosine >= c.cosine)
            ? { of: 'gold' as const, hit: g, text: gold[g.index]?.text }
            : c
              ? { of: 'corpus' as const, hit: c, text: corpus[c.index]?.text }
              : undefined;
        if (best)
          opts.bronzeNearest?.push({ id: r.id, of: best.of, nearestText: best.text ?? '', cosine: best.hit.cosine });
        if (best && best.hit.cosine >= threshold)
          risk.push({ id: r.id, text: r.text, of: best.of, nearestText: best.text ?? '', cosine: best.hit.cosine });
      }
      risk.sort((a, b) => b.cosine - a.cosine);
    }
    report.sets[set] = {
      rows: all.length,
      sampled: rows.length,
      nearestSampled: probe.size,
      labelDistribution: dist,
      jsDivergence: js,
      jsDistance: js === null ? null : Math.sqrt(js),
      overall: group(rows),
      perLabel: Object.fromEntries(groups(rows, labels).map(([l, rs]) => [l, group(rs)])),
      memorisationRisk: risk,
    };
  }
  return report;
}

/** Measures and writes eval/fidelity.json (the report reads it; an embed step of the run computes it). */
export async function writeFidelity(runDir: string, embed: EmbedFn, encoder: string): Promise<FidelityReport> {
  const bronzeNearest: BronzeNearest[] = [];
  const report = await measureFidelity(runDir, embed, encoder, { bronzeNearest });
  writeJsonl(join(runDir, BRONZE_NEAREST_FILE), bronzeNearest);
  writeJson(join(runDir, FIDELITY_FILE), report);
  return report;
}

export function readFidelity(runDir: string): FidelityReport | undefined {
  const file = join(runDir, FIDELITY_FILE);
  return existsSync(file) ? readJson<FidelityReport>(file) : undefined;
}
