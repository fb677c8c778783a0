// Chooses the note sentences sent for silver labelling: de-duplicated cue hits plus a seeded random share of others.
import { createHash } from 'node:crypto';
import type { CandidateRow } from '../run/records.js';
import type { Taxonomy } from '../config/taxonomy.js';
import { normaliseSentence, splitSentences } from './sentences.js';
import { mulberry32, shuffled } from '../run/random.js';

export interface SelectionOptions {
  taxonomy: Pick<Taxonomy, 'labels'>;
  /** Extra terms that make a sentence a hit (reason `lexicon:<term>`). */
  lexicon: readonly string[];
  /** Most candidates returned. */
  maxSentences: number;
  /** Share of `maxSentences` reserved for random non-hit sentences (reason `random`), 0..1. */
  negativeShare: number;
  seed: number;
  /**
   * `none` (default): hits are a uniform sample of all hit sentences. `label`: the hit quota is shared evenly between
   * the labels (lexicon terms count as one group) and what a label cannot fill goes to the others, so that rare
   * labels are not crowded out by frequent cues.
   */
  balance?: 'none' | 'label';
  /** Sentences never to select, e.g. the gold train/test texts (compared after normalisation). */
  exclude?: Iterable<string>;
  /** Notes to leave out entirely, e.g. the notes the gold sentences come from (`GoldRow.noteId`). */
  excludeNotes?: ReadonlySet<string>;
  /** Called every 1,000 notes (e.g. to heartbeat). */
  onProgress?: (progress: { notes: number; sentences: number }) => void;
}

export interface SelectionStats {
  notes: number;
  /** Sentences produced by the splitter, duplicates included. */
  sentences: number;
  /** Distinct normalised sentences. */
  uniqueSentences: number;
  /** Distinct sentences that contain a cue or lexicon term. */
  cueHits: number;
  selected: number;
  /** Selected candidates per reason (`cue:<label>:<cue>`, `lexicon:<term>`, `random`). */
  byReason: Record<string, number>;
  /** Sentences left out by `exclude` or `excludeNotes` (not counted in `sentences`). */
  excluded: number;
}

export interface SelectionResult {
  candidates: SelectedCandidates;
  stats: SelectionStats;
}

interface Matcher {
  any: RegExp | null;
  cues: Array<{ reason: string; group: string; re: RegExp }>;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const BEFORE = '(?<![\\p{L}\\p{N}])';
const AFTER = '(?![\\p{L}\\p{N}])';

/** Cue patterns: whole words/phrases, case-insensitive, any whitespace between words. */
export function buildMatcher(taxonomy: Pick<Taxonomy, 'labels'>, lexicon: readonly string[]): Matcher {
  const cues: Matcher['cues'] = [];
  const sources: string[] = [];
  const add = (term: string, reason: string, group: string): void => {
    const t = term.trim();
    if (!t) return;
    const src = t.split(/\s+/).map(escape).join('\\s+');
    sources.push(src);
    cues.push({ reason, group, re: new RegExp(`${BEFORE}(?:${src})${AFTER}`, 'iu') });
  };
  for (const label of taxonomy.labels)
    for (const cue of label.cues) add(cue, `cue:${label.id}:${cue.trim()}`, label.id);
  for (const term of lexicon) add(term, `lexicon:${term.trim()}`, 'lexicon');
  const any = sources.length ? new RegExp(`${BEFORE}(?:${sources.join('|')})${AFTER}`, 'iu') : null;
  return { any, cues };
}

/** The first cue (taxonomy order, then lexicon) found in `text`, or undefined. */
export function matchCue(matcher: Matcher, text: string): { reason: string; group: string } | undefined {
  if (!matcher.any || !matcher.any.test(text)) return undefined;
  return matcher.cues.find((c) => c.re.test(text));
}

/** A seeded PRNG (mulberry32) for one of several independent streams drawn from the same seed. */
export function seededRandom(seed: number, stream = 0): () => number {
  return mulberry32((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0);
}

/** A unique sentence offered to a reservoir (short-lived: reservoirs keep only its fields, in columns). */
interface Offered {
  hi: number;
  lo: number;
  noteId: string;
  start: number;
  end: number;
  text: string;
  reason: string;
}

/**
 * A copy of a string that shares no memory with its source: a sliced sentence would keep its whole note alive, and
 * a million kept sentences would then hold the corpus in memory.
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/**
 * Algorithm R over columns: a uniform sample of at most `size` of the sentences offered, in bounded memory. A kept
 * sentence costs its text plus a few array slots (no object per sentence), which is what lets a million candidates
 * be selected in a few hundred MiB.
 */
class Reservoir {
  seen = 0;
  readonly texts: string[] = [];
  readonly noteIds: string[] = [];
  readonly reasons: string[] = [];
  readonly starts: number[] = [];
  readonly ends: number[] = [];
  readonly hashHi: number[] = [];
  readonly hashLo: number[] = [];
  constructor(
    private readonly size: number,
    private readonly random: () => number,
  ) {}
  get length(): number {
    return this.texts.length;
  }
  offer(s: Offered): void {
    this.seen++;
    if (this.texts.length < this.size) this.put(this.texts.length, s);
    else if (this.size > 0) {
      const j = Math.floor(this.random() * this.seen);
      if (j < this.size) this.put(j, s);
    }
  }
  private put(slot: number, s: Offered): void {
    this.texts[slot] = detached(s.text);
    this.noteIds[slot] = s.noteId;
    this.reasons[slot] = s.reason;
    this.starts[slot] = s.start;
    this.ends[slot] = s.end;
    this.hashHi[slot] = s.hi;
    this.hashLo[slot] = s.lo;
  }
}

/**
 * The chosen candidates, iterated in id order (then note id, then start); rows are made one at a time as they are
 * read, so writing a million of them into pages never holds a million row objects.
 */
export class SelectedCandidates implements Iterable<CandidateRow> {
  private readonly order: Uint32Array;
  constructor(
    private readonly owners: readonly Reservoir[],
    private readonly slots: Uint32Array,
    private readonly idNumbers: Float64Array,
    private readonly counts: CountTable,
  ) {
    this.order = new Uint32Array(slots.length).map((_, i) => i);
    this.order.sort(
      (a, b) =>
        this.idNumbers[a]! - this.idNumbers[b]! ||
        cmp(this.field(a, 'noteIds'), this.field(b, 'noteIds')) ||
        this.num(a, 'starts') - this.num(b, 'starts'),
    );
  }
  get length(): number {
    return this.slots.length;
  }
  *[Symbol.iterator](): Iterator<CandidateRow> {
    for (const i of this.order) yield this.row(i);
  }
  /** Candidates per reason (`cue:<label>:<cue>`, `lexicon:<term>`, `random`). */
  countByReason(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 0; i < this.slots.length; i++) {
      const r = this.field(i, 'reasons');
      out[r] = (out[r] ?? 0) + 1;
    }
    return out;
  }
  private field(i: number, column: 'texts' | 'noteIds' | 'reasons'): string {
    return this.owners[i]![column][this.slots[i]!]!;
  }
  private num(i: number, column: 'starts' | 'ends' | 'hashHi' | 'hashLo'): number {
    return this.owners[i]![column][this.slots[i]!]!;
  }
  private row(i: number): CandidateRow {
    return {
      id: idFromNumber(this.idNumbers[i]!),
      noteId: this.field(i, 'noteIds'),
      start: this.num(i, 'starts'),
      end: this.num(i, 'ends'),
      text: this.field(i, 'texts'),
      reason: this.field(i, 'reasons'),
      count: this.counts.get(this.num(i, 'hashHi'), this.num(i, 'hashLo')),
    };
  }
}

/**
 * Splits every note, de-duplicates sentences by normalised text (the first occurrence gives noteId and offsets;
 * `count` says how often it occurs), and selects up to `maxSentences`: round(maxSentences × (1 − negativeShare)) cue
 * hits and the rest random non-hits (sentences without letters are never chosen). Quotas are not transferred: with
 * fewer hits than the hit quota there are fewer candidates, never more random ones. Deterministic for a given corpus
 * order and seed; candidates are sorted by id (`c-` + 12 hex of sha1 of the normalised text).
 * Memory: a 64-bit hash and a count per distinct sentence (typed arrays, at most 24 bytes each), plus the kept
 * sentences' texts and a few numbers each.
 */
export async function selectCandidates(
  notes: AsyncIterable<{ id: string; text: string }> | Iterable<{ id: string; text: string }>,
  opts: SelectionOptions,
): Promise<SelectionResult> {
  if (!Number.isInteger(opts.maxSentences) || opts.maxSentences < 0)
    throw new Error('maxSentences must be a non-negative integer');
  if (!(opts.negativeShare >= 0 && opts.negativeShare <= 1)) throw new Error('negativeShare must be within 0..1');
  const matcher = buildMatcher(opts.taxonomy, opts.lexicon);
  const hitQuota = Math.round(opts.maxSentences * (1 - opts.negativeShare));
  const negQuota = opts.maxSentences - hitQuota;
  const hitRandom = seededRandom(opts.seed, 1);
  const hits = new Map<string, Reservoir>();
  const negatives = new Reservoir(negQuota, seededRandom(opts.seed, 2));
  const counts = new CountTable();
  const stats: SelectionStats = {
    notes: 0,
    sentences: 0,
    uniqueSentences: 0,
    cueHits: 0,
    selected: 0,
    byReason: {},
    excluded: 0,
  };
  const excluded = new Set<string>();
  for (const text of opts.exclude ?? []) excluded.add(normaliseSentence(text));

  for await (const note of notes) {
    stats.notes++;
    const skipNote = opts.excludeNotes?.has(note.id) ?? false;
    let noteId: string | undefined; // detached once per note, shared by its sentences
    for (const s of splitSentences(note.text)) {
      const norm = normaliseSentence(s.text);
      if (skipNote || (excluded.size > 0 && excluded.has(norm))) {
        stats.excluded++;
        continue;
      }
      stats.sentences++;
      if (!norm) continue;
      const [hi, lo] = hash64(norm);
      if (!counts.add(hi, lo)) continue; // seen before: only counted
      stats.uniqueSentences++;
      const cue = matchCue(matcher, s.text);
      const offered = (reason: string): Offered => ({
        hi,
        lo,
        noteId: (noteId ??= detached(note.id)),
        start: s.start,
        end: s.end,
        text: s.text,
        reason,
      });
      if (cue) {
        stats.cueHits++;
        const group = opts.balance === 'label' ? cue.group : 'all';
        let r = hits.get(group);
        if (!r) hits.set(group, (r = new Reservoir(hitQuota, hitRandom)));
        r.offer(offered(cue.reason));
      } else if (/\p{L}/u.test(s.text)) {
        negatives.offer(offered('random'));
      }
    }
    if (opts.onProgress && stats.notes % 1000 === 0)
      opts.onProgress({ notes: stats.notes, sentences: stats.sentences });
  }

  const chosen = [
    ...allocate([...hits.entries()], hitQuota, seededRandom(opts.seed, 3)),
    { owner: negatives, slots: negatives.texts.map((_, i) => i) },
  ];
  const total = chosen.reduce((n, c) => n + c.slots.length, 0);
  const owners: Reservoir[] = new Array<Reservoir>(total);
  const slots = new Uint32Array(total);
  const idNumbers = new Float64Array(total);
  let k = 0;
  for (const { owner, slots: picked } of chosen) {
    for (const slot of picked) {
      owners[k] = owner;
      slots[k] = slot;
      idNumbers[k++] = candidateIdNumber(owner.texts[slot]!);
    }
  }
  const candidates = new SelectedCandidates(owners, slots, idNumbers, counts);
  stats.byReason = candidates.countByReason();
  stats.selected = candidates.length;
  return { candidates, stats };
}

/** `c-` + the first 12 hex digits of sha1 of the normalised sentence. */
export function candidateId(sentence: string): string {
  return idFromNumber(candidateIdNumber(sentence));
}

/** The candidate id's 48 bits as a number (exact in a double): sorts like the id and costs no string. */
function candidateIdNumber(sentence: string): number {
  return createHash('sha1').update(normaliseSentence(sentence)).digest().readUIntBE(0, 6);
}

function idFromNumber(n: number): string {
  return `c-${n.toString(16).padStart(12, '0')}`;
}

/** A fast 64-bit string hash (two 32-bit multiply-xorshift lanes, cyrb53-style), for de-duplication only. */
function hash64(s: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return [h1 >>> 0, h2 >>> 0];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Shares `quota` evenly between groups (sorted by name); a group with fewer items leaves the rest to the others. */
function allocate(
  groups: Array<[string, Reservoir]>,
  quota: number,
  random: () => number,
): Array<{ owner: Reservoir; slots: number[] }> {
  groups.sort((a, b) => cmp(a[0], b[0]));
  const take = new Map<string, number>(groups.map(([g]) => [g, 0]));
  let left = quota;
  let open = groups.filter(([, r]) => r.length > 0);
  while (left > 0 && open.length) {
    const share = Math.max(1, Math.floor(left / open.length));
    for (const [g, r] of open) {
      if (left === 0) break;
      const t = take.get(g)!;
      const add = Math.min(share, r.length - t, left);
      take.set(g, t + add);
      left -= add;
    }
    open = open.filter(([g, r]) => take.get(g)! < r.length);
  }
  return groups.map(([g, r]) => {
    const n = take.get(g)!;
    const all = r.texts.map((_, i) => i);
    return { owner: r, slots: n >= r.length ? all : shuffled(all, random).slice(0, n) };
  });
}

/** A compact open-addressing hash table from 64-bit sentence hashes to occurrence counts (typed arrays, <= 24 B each). */
class CountTable {
  private hi = new Uint32Array(1 << 16);
  private lo = new Uint32Array(1 << 16);
  private counts = new Uint32Array(1 << 16);
  private size = 0;

  /** Counts one occurrence; true when the hash was not seen before. */
  add(hi: number, lo: number): boolean {
    if ((this.size + 1) * 2 > this.hi.length) this.grow();
    const i = this.slot(hi, lo);
    const c = this.counts[i]!;
    if (c === 0) {
      this.hi[i] = hi;
      this.lo[i] = lo;
      this.counts[i] = 1;
      this.size++;
      return true;
    }
    if (c < 0xffffffff) this.counts[i] = c + 1;
    return false;
  }

  get(hi: number, lo: number): number {
    return this.counts[this.slot(hi, lo)]!;
  }

  /** The slot holding the hash, or the empty slot where it would go. */
  private slot(hi: number, lo: number): number {
    const mask = this.hi.length - 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & mask;
    while (this.counts[i] !== 0 && (this.hi[i] !== hi || this.lo[i] !== lo)) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const { hi, lo, counts } = this;
    const cap = hi.length * 2;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.counts = new Uint32Array(cap);
    for (let j = 0; j < hi.length; j++) {
      if (counts[j] === 0) continue;
      const i = this.slot(hi[j]!, lo[j]!);
      this.hi[i] = hi[j]!;
      this.lo[i] = lo[j]!;
      this.counts[i] = counts[j]!;
    }
  }
}
