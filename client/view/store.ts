// The viewer's data access: one run's rows read in place through DuckDB (filters, sorting, paging in SQL), a row's provenance from the answer cache, the LLM-vs-gold confusion.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DuckDBInstance, type DuckDBConnection, type DuckDBInstance as Instance } from '@duckdb/node-api';
import { loadSql } from '../../lib/dataset/sql.js';
import { FileLlmCache } from '../../lib/llm/cache.js';
import { clinsynthHome } from '../../lib/config/paths.js';
import { PAGE_FOLDERS, readJsonl, readRunExperiment, RUN_FILES } from '../../lib/run/run-dir.js';
import type { Experiment } from '../../lib/config/experiment.js';
import type { GoldRow } from '../../lib/run/records.js';
import { readNotes } from '../../lib/corpus/readers.js';
import { agreementLines, confusionOf, type AgreementLine, type Confusion } from '../../lib/evaluate/label-agreement.js';
import { BRONZE_NEAREST_FILE, readFidelity, type FidelityReport } from '../../lib/fidelity/run-fidelity.js';
import { RowIndex, SORT_KEYS, type SortKey } from './row-index.js';

const flag = z.enum(['', 'true', 'false']).default('');

/** GET /api/rows query parameters (every one optional; empty = any). */
export const rowQuerySchema = z.strictObject({
  source: z.enum(['', 'gold', 'silver', 'bronze', 'reviewed']).default(''),
  split: z.string().max(20).default(''),
  label: z.string().max(2000).default(''),
  labelMode: z.enum(['any', 'all']).default('any'),
  verdict: z.enum(['', 'keep', 'fix', 'reject', 'none']).default(''),
  usable: flag,
  phi: flag,
  flag: z.enum(['', 'leak', 'near-duplicate', 'any', 'none']).default(''),
  reviewReason: z.string().max(100).default(''),
  promptVersion: z.string().max(100).default(''),
  q: z.string().max(500).default(''),
  sort: z.enum(Object.keys(SORT_KEYS) as [SortKey]).default('ref'),
  desc: flag,
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  variant: z.string().max(200).optional(),
});
export type RowQuery = z.infer<typeof rowQuerySchema>;

export type Json = Record<string, unknown>;
type Stage = 'before' | 'after';
const CELLS = ['tp', 'fp', 'fn', 'tn'] as const;
export type Cell = (typeof CELLS)[number];

const CONTEXT_CHARS = 300;

export class RunStore {
  private notes = new Map<string, string>();
  private constructor(
    readonly runDir: string,
    readonly experiment: Experiment,
    private readonly instance: Instance,
    private readonly c: DuckDBConnection,
    /** The rows' index that filters, counts and pages (client/view/row-index.ts). */
    readonly index: RowIndex,
    private readonly agreement: AgreementLine[],
    private readonly goldText: Map<string, string>,
  ) {}

  /** Opens a run's merged rows in place; the first open of a run builds its row index (progress goes to `say`). */
  static async open(runDir: string, say: (line: string) => void = () => {}): Promise<RunStore> {
    const datasets = join(runDir, RUN_FILES.datasets);
    const dbFile = join(datasets, 'clinsynth.duckdb');
    const parquetFile = join(datasets, 'merged.parquet');
    if (!existsSync(dbFile) && !existsSync(parquetFile))
      throw new Error(
        `${runDir} has no merged datasets yet (datasets/clinsynth.duckdb): the run has not reached its merge stage`,
      );
    const instance = await DuckDBInstance.create(':memory:', { threads: String(availableParallelism()) });
    const c = await instance.connect();
    const inDb = existsSync(dbFile);
    await c.run(inDb ? loadSql('view-open-duckdb', { dbFile }) : loadSql('view-open-parquet', { parquetFile }));
    const index = await RowIndex.open(c, inDb ? dbFile : parquetFile, say);
    const gold = new Map(readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTest)).map((r) => [r.id, r.text]));
    return new RunStore(runDir, readRunExperiment(runDir), instance, c, index, agreementLines(runDir), gold);
  }

  close(): void {
    this.c.closeSync();
    this.instance.closeSync();
  }

  private async all(sql: string): Promise<Json[]> {
    return (await this.c.runAndReadAll(sql)).getRowObjectsJson() as Json[];
  }

  /** One page of rows and the total that match, from the row index. */
  async rows(q: RowQuery): Promise<{ total: number; rows: Json[] }> {
    const labels = q.label
      .split(',')
      .map((l) => l.trim())
      .filter(Boolean);
    return this.index.page({ ...q, labels, desc: q.desc === 'true' });
  }

  async facets(): Promise<Record<string, { value: string; n: number }[]>> {
    const out: Record<string, { value: string; n: number }[]> = {};
    for (const r of await this.all(loadSql('view-facets')))
      (out[String(r.facet)] ??= []).push({ value: String(r.value), n: Number(r.n) });
    return out;
  }

  async sameText(text: string): Promise<Json[]> {
    return this.all(loadSql('view-same-text', { text }));
  }

  async bronze(label: string, limit: number): Promise<Json[]> {
    const file = join(this.runDir, BRONZE_NEAREST_FILE);
    const nearestFiles = existsSync(file) ? [file] : [];
    if (!nearestFiles.length) return this.all(loadSql('view-bronze-plain', { label, limit }));
    return this.all(loadSql('view-bronze', { nearestFiles, label, limit }));
  }

  /** A row with every column, its flags with their reasons, its labels at each step and its provenance. */
  async row(ref: string): Promise<Json | undefined> {
    const i = ref.indexOf(':');
    const [source, id] = i > 0 ? [ref.slice(0, i), ref.slice(i + 1)] : ['', ref];
    const found = source ? await this.all(loadSql('view-row', { source, id })) : [];
    const r = found[0] ?? (await this.all(loadSql('view-row-by-id', { id: ref })))[0];
    if (!r) return undefined;
    const src = String(r.source);
    const set = src === 'reviewed' ? String(r.origin) : src;
    const flags: { flag: string; reason: string }[] = [];
    const phi = (r.phi_kinds as string[] | null) ?? [];
    if (phi.length) flags.push({ flag: 'phi', reason: `possible PHI found by the scan: ${phi.join(', ')}` });
    if (r.leak_of)
      flags.push({
        flag: 'leak',
        reason: `repeats gold test sentence ${r.leak_of} (same text or cosine ≥ the leakage threshold): "${this.goldText.get(String(r.leak_of)) ?? '?'}"`,
      });
    if (r.near_duplicate_of)
      flags.push({
        flag: 'near-duplicate',
        reason: `near-duplicate of bronze row ${r.near_duplicate_of} (cosine ≥ the near-duplicate threshold)`,
      });
    if (r.verdict === 'reject') flags.push({ flag: 'self-check reject', reason: String(r.verdict_reason ?? '') });
    if (r.verdict === 'fix') flags.push({ flag: 'self-check fix', reason: String(r.verdict_reason ?? '') });
    if (r.usable === false && !flags.length)
      flags.push({ flag: 'unusable', reason: r.reviewer ? 'dropped by the reviewer' : 'not usable' });
    const reviewed = r.reviewer !== null && r.reviewer !== undefined;
    const detail: Json = {
      row: r,
      labels: {
        llm: r.llm_labels ?? null,
        afterSelfCheck: r.labels_before_review ?? r.labels,
        afterReview: reviewed ? r.labels : null,
      },
      rationale: 'rationale' in r ? r.rationale : null,
      flags,
      review: reviewed ? { reviewer: r.reviewer, reviewedAt: r.reviewed_at, reasons: r.review_reasons } : null,
      provenance: await this.provenance(r),
      selfCheck: set === 'silver' || set === 'bronze' ? await this.selfCheck(set, String(r.id)) : null,
      context: set === 'silver' ? await this.context(r) : null,
    };
    return detail;
  }

  private async provenance(r: Json): Promise<Json | null> {
    if (!r.cache_key) return null;
    return { model: r.model, promptVersion: r.prompt_version, ...(await cacheEntry(String(r.cache_key))) };
  }

  private async selfCheck(set: string, id: string): Promise<Json | null> {
    const folder = set === 'silver' ? PAGE_FOLDERS.verdictsSilver : PAGE_FOLDERS.verdictsBronze;
    if (!existsSync(join(this.runDir, folder))) return null;
    const v = (
      await this.all(loadSql('view-verdict', { files: join(this.runDir, folder, 'page-*.jsonl'), id })).catch(() => [])
    )[0];
    if (!v) return null;
    return { ...v, ...(v.cacheKey ? await cacheEntry(String(v.cacheKey)) : {}) };
  }

  /** The note around a silver sentence (read from the corpus file; the notes seen are kept). */
  private async context(r: Json): Promise<Json | null> {
    const corpus = this.experiment.corpus;
    const noteId = r.note_id === null || r.note_id === undefined ? undefined : String(r.note_id);
    if (!corpus || !noteId || !existsSync(corpus.path)) return null;
    let text = this.notes.get(noteId);
    if (text === undefined) {
      for await (const n of readNotes(corpus.path, corpus.format, { onBadRow: 'skip' })) {
        if (n.id === noteId) {
          text = n.text;
          break;
        }
      }
      if (text === undefined) return null;
      if (this.notes.size > 200) this.notes.clear();
      this.notes.set(noteId, text);
    }
    const start = Number(r.start_offset);
    const end = Number(r.end_offset);
    if (!(start >= 0 && end >= start && end <= text.length))
      return { note: noteId, before: '', span: String(r.text), after: '' };
    return {
      note: noteId,
      before: text.slice(Math.max(0, start - CONTEXT_CHARS), start),
      span: text.slice(start, end),
      after: text.slice(end, end + CONTEXT_CHARS),
    };
  }

  /** eval/fidelity.json (measured after the merge); null when the run has none. */
  fidelity(): FidelityReport | null {
    return readFidelity(this.runDir) ?? null;
  }

  /** Per label the LLM's 2×2 confusion against gold on the gold test sentences, before and after the self-check. */
  confusion(): Json {
    const labels = this.experiment.labels;
    const lines = this.agreement;
    const kept = lines.filter((l) => l.llmAfterSelfCheck !== null);
    const checked = lines.some((l) => l.verdict !== null);
    const table = (ls: AgreementLine[], pick: (l: AgreementLine) => string[]) =>
      Object.fromEntries(
        labels.map((label) => [
          label,
          confusionOf(
            ls.map((l) => l.gold),
            ls.map(pick),
            label,
          ),
        ]),
      ) as Record<string, Confusion>;
    return {
      sentences: lines.length,
      labels,
      before: table(lines, (l) => l.llm),
      ...(checked ? { after: table(kept, (l) => l.llmAfterSelfCheck!), rejected: lines.length - kept.length } : {}),
    };
  }

  /** The gold test sentences in one confusion cell. */
  confusionCell(label: string, cell: Cell, stage: Stage): Json[] {
    const lines = stage === 'after' ? this.agreement.filter((l) => l.llmAfterSelfCheck !== null) : this.agreement;
    return lines
      .filter((l) => {
        const g = l.gold.includes(label);
        const p = (stage === 'after' ? l.llmAfterSelfCheck! : l.llm).includes(label);
        return cell === (g && p ? 'tp' : p ? 'fp' : g ? 'fn' : 'tn');
      })
      .map((l) => ({
        id: l.id,
        note: l.note,
        text: this.goldText.get(l.id) ?? '',
        gold: l.gold,
        llm: l.llm,
        llmAfterSelfCheck: l.llmAfterSelfCheck,
        verdict: l.verdict,
      }));
  }
}

export const isCell = (x: string): x is Cell => (CELLS as readonly string[]).includes(x);

/** The answer cache's entry for a key: the rendered request (when kept), the raw answer, and the system prompt's sha256. */
async function cacheEntry(key: string): Promise<Json> {
  const cache = new FileLlmCache(join(clinsynthHome(), 'llm-cache'));
  const entry = /^[0-9a-f]{64}$/.test(key) ? await cache.entry(key).catch(() => undefined) : undefined;
  if (!entry) return { cacheKey: key, cached: false };
  const system = entry.request?.messages.find((m) => m.role === 'system')?.content;
  return {
    cacheKey: key,
    cached: true,
    storedAt: entry.storedAt,
    request: entry.request ?? null,
    systemPromptSha256: system === undefined ? null : createHash('sha256').update(system).digest('hex'),
    rawAnswer: entry.answer.text,
    finishReason: entry.answer.finishReason,
    usage: entry.answer.usage,
  };
}
