// `clinsynth try`: one LLM stage on a small sample, rendered by the experiment's templates and sent straight to its
// LLM (no workflow), through the shared answer cache, in a scratch folder removed afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Experiment } from '../config/experiment.js';
import { loadTaxonomy } from '../config/taxonomy.js';
import { pagePath, readJsonl, RUN_FILES, writeJsonl } from '../run/run-dir.js';
import type { BronzeRow, CandidateRow, GoldRow, SilverRow, VerdictRow } from '../run/records.js';
import type { EmbedFn } from '../dataset/leakage.js';
import { agreement } from '../evaluate/metrics.js';
import type { LlmCache } from '../llm/cache.js';
import type { ChatMessage, LlmProvider } from '../llm/types.js';
import { emptyUsage, type LlmUsageTotals } from '../run/run-state.js';
import { goldProbeRows, selectSilverCandidates, startRun } from './run-setup.js';
import { styleGrid, type BronzeJob } from './bronze-jobs.js';
import { generateBronzePage, labelSilverPage, pageRequests, selfCheckPage, type PageContext } from './llm-pages.js';
import { stageTemplate } from './stage-prompts.js';

export type TryStage = 'silver' | 'bronze' | 'selfcheck';

export interface TryOptions {
  stage: TryStage;
  n: number;
  /** bronze: the label to write for (default: the taxonomy's first). */
  label?: string;
  /** silver: label the first n gold test sentences instead of corpus candidates and report agreement with gold. */
  gold?: boolean;
  provider: LlmProvider;
  cache: LlmCache;
  /** The sentence encoder (silver.selectExamples `similar`). */
  embed?: EmbedFn;
}

export interface TryItem {
  text: string;
  labels: string[];
  rationale?: string;
  /** selfcheck: the verdict on the silver labels (`labels` are the checked ones). */
  verdict?: string;
  reason?: string;
  silverLabels?: string[];
  /** silver --gold: the sentence's gold labels. */
  gold?: string[];
}

/** silver --gold: how the sample's LLM labels agree with the gold labels of the same sentences. */
export interface TryAgreement {
  n: number;
  exactMatch: number;
  macroF1: number;
  microF1: number;
}

export interface TryResult {
  stage: TryStage;
  template: { name: string; hash: string; path: string };
  items: TryItem[];
  /** The rendered messages of the stage's first-attempt requests, in call order. */
  prompts: ChatMessage[][];
  usage: LlmUsageTotals;
  failures: number;
  agreement?: TryAgreement;
}

function add(total: LlmUsageTotals, u: LlmUsageTotals): void {
  for (const k of Object.keys(u) as (keyof LlmUsageTotals)[]) total[k] = (total[k] ?? 0) + (u[k] ?? 0);
}

/** Runs the stage on its sample: silver the first n candidates the selection picks; bronze n sentences for one label;
 * self-check n silver rows (labelled first, from the cache where it has them). */
export async function tryStage(e: Experiment, opts: TryOptions): Promise<TryResult> {
  const runDir = mkdtempSync(join(tmpdir(), 'clinsynth-try-'));
  try {
    startRun(e, runDir);
    const taxonomy = loadTaxonomy(e.taxonomy);
    const ctx: PageContext = { provider: opts.provider, cache: opts.cache, taxonomy, experiment: e, runDir };
    if (opts.embed) ctx.embed = opts.embed;
    const usage = emptyUsage();
    const promptStage = opts.stage === 'selfcheck' ? 'selfCheck' : opts.stage;
    const t = stageTemplate(e, promptStage);
    const result = async (items: TryItem[], stage: 'silver' | 'bronze' | 'selfcheck', set: 'silver' | 'bronze') => ({
      stage: opts.stage,
      template: { name: t.name, hash: t.hash, path: t.path },
      items,
      prompts: (await pageRequests(ctx, stage, set, 0)).map((r) => r.messages),
      usage,
      failures: usage.failures,
    });
    if (opts.stage === 'bronze') {
      const label = opts.label ?? taxonomy.labels[0]!.id;
      if (!taxonomy.labels.some((l) => l.id === label))
        throw new Error(`--label ${label}: not a label of the taxonomy`);
      const job: BronzeJob = { labels: [label], count: opts.n, style: { ...styleGrid()[0]! }, jobIndex: 0 };
      writeJsonl(pagePath(runDir, 'bronzeJobs', 0), [job]);
      add(usage, (await generateBronzePage(ctx, 0)).usage);
      const rows = readJsonl<BronzeRow>(pagePath(runDir, 'bronze', 0));
      return result(
        rows.map((r) => ({ text: r.text, labels: r.labels })),
        'bronze',
        'bronze',
      );
    }
    if (opts.gold && opts.stage !== 'silver') throw new Error('--gold: only with --stage silver');
    const goldLabels = opts.gold ? goldSample(runDir, opts.n) : await corpusSample(e, runDir, opts.n);
    add(usage, (await labelSilverPage(ctx, 0)).usage);
    const silver = readJsonl<SilverRow>(pagePath(runDir, 'silver', 0));
    if (opts.stage === 'silver') {
      const items = silver.map((r) => ({
        text: r.text,
        labels: r.labels,
        ...(r.rationale ? { rationale: r.rationale } : {}),
        ...(goldLabels ? { gold: goldLabels.get(r.id) ?? [] } : {}),
      }));
      const out: TryResult = await result(items, 'silver', 'silver');
      if (goldLabels) {
        const a = agreement(
          items.map((it) => it.gold ?? []),
          items.map((it) => it.labels),
          e.labels,
        );
        out.agreement = { n: a.n, exactMatch: a.exactMatch, macroF1: a.macroF1, microF1: a.microF1 };
      }
      return out;
    }
    add(usage, (await selfCheckPage(ctx, 'silver', 0)).usage);
    const verdicts = new Map(readJsonl<VerdictRow>(pagePath(runDir, 'verdictsSilver', 0)).map((v) => [v.id, v]));
    const items = silver.map((r) => {
      const v = verdicts.get(r.id);
      return {
        text: r.text,
        silverLabels: r.labels,
        labels: v?.labels ?? r.labels,
        verdict: v?.verdict ?? '(no verdict)',
        reason: v?.reason ?? '',
        ...(v?.rationale ? { rationale: v.rationale } : {}),
      };
    });
    return result(items, 'selfcheck', 'silver');
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

/** Writes the first n silver candidates the selection picks as page 0; no gold labels. */
async function corpusSample(e: Experiment, runDir: string, n: number): Promise<undefined> {
  if (!e.corpus) throw new Error('silver and self-check try the corpus: the experiment has none');
  const { pages } = await selectSilverCandidates(runDir);
  const candidates: CandidateRow[] = [];
  for (let p = 0; p < pages && candidates.length < n; p++)
    candidates.push(...readJsonl<CandidateRow>(pagePath(runDir, 'candidates', p)));
  candidates.splice(n);
  writeJsonl(pagePath(runDir, 'candidates', 0), candidates);
  return undefined;
}

/** Writes the first n gold test sentences as page 0 (as the LLM-agreement probe does); their gold labels by id. */
function goldSample(runDir: string, n: number): Map<string, string[]> {
  const test = readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTest)).slice(0, n);
  writeJsonl(pagePath(runDir, 'candidates', 0), goldProbeRows(test));
  return new Map(test.map((r) => [r.id, r.labels]));
}
