// Prompt builders and parsers: strict-mode-valid schemas, id mapping, and rejection of bad answers.
import { describe, expect, it } from 'vitest';
import {
  bronzeJobs,
  bronzeTargets,
  countsForTarget,
  planBronzeJobs,
  salvageBronzeSentences,
  bronzeRequest,
  parseBronzeAnswer,
  parseSelfCheckAnswer,
  parseSilverAnswer,
  selfCheckRequest,
  silverRequest,
  styleGrid,
} from '../../lib/generate/prompts.js';
import { guidelineText, labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import type { JsonSchema } from '../../lib/llm/types.js';

const taxonomy = loadTaxonomy('taxonomy/ad-signs-symptoms.yaml');
const ids = labelIds(taxonomy);
const opts = { maxTokens: 1000, temperature: 0, seed: 3 };
const items = [
  { id: 'noteA:3', text: 'Son states she got lost driving home.' },
  { id: 'noteB:0', text: 'Line one\nwith "quotes".' },
  { id: 'noteC:9', text: 'Denies memory loss.' },
];

/** OpenAI strict mode: every object closes additionalProperties and requires all its properties; only known keywords. */
function strictProblems(schema: unknown, path = '$'): string[] {
  const out: string[] = [];
  if (!schema || typeof schema !== 'object') return [`${path}: not a schema`];
  const s = schema as Record<string, unknown>;
  const allowed = new Set([
    'type',
    'properties',
    'required',
    'additionalProperties',
    'items',
    'enum',
    'minItems',
    'maxItems',
    'description',
  ]);
  for (const k of Object.keys(s)) if (!allowed.has(k)) out.push(`${path}: keyword ${k} not allowed in strict mode`);
  if (s.type === 'object') {
    const props = Object.keys((s.properties as object) ?? {});
    if (s.additionalProperties !== false) out.push(`${path}: additionalProperties must be false`);
    const req = (s.required as string[]) ?? [];
    if (props.slice().sort().join() !== req.slice().sort().join())
      out.push(`${path}: required must list every property`);
    for (const p of props) out.push(...strictProblems((s.properties as Record<string, unknown>)[p], `${path}.${p}`));
  } else if (s.type === 'array') {
    out.push(...strictProblems(s.items, `${path}[]`));
  } else if (s.type !== 'string') {
    out.push(`${path}: unexpected type ${String(s.type)}`);
  }
  return out;
}

const arrayOf = (schema: JsonSchema, key: string): Record<string, unknown> =>
  (schema.properties as Record<string, Record<string, unknown>>)[key]!;

describe('silver prompt', () => {
  const req = silverRequest(taxonomy, items, opts);

  it('sends the guideline once, in the system message, and short ids in the user message', () => {
    expect(req.messages).toHaveLength(2);
    expect(req.messages[0]!.role).toBe('system');
    expect(req.messages[0]!.content).toContain(guidelineText(taxonomy));
    const user = req.messages[1]!.content;
    expect(user).not.toContain('Cues:');
    expect(user).toContain('s1: "Son states she got lost driving home."');
    expect(user).toContain('s2: "Line one\\nwith \\"quotes\\"."');
    expect(user).not.toContain('noteA:3');
    expect(req).toMatchObject({ schemaName: 'silver_labels', maxTokens: 1000, temperature: 0, seed: 3 });
  });

  it('has a strict-mode-valid schema with exactly N answers and enums of ids and labels', () => {
    expect(strictProblems(req.schema)).toEqual([]);
    const answers = arrayOf(req.schema, 'answers');
    expect(answers).toMatchObject({ minItems: 3, maxItems: 3 });
    const item = answers.items as JsonSchema;
    expect(arrayOf(item, 'id').enum).toEqual(['s1', 's2', 's3']);
    expect((arrayOf(item, 'labels').items as JsonSchema).enum).toEqual(ids);
  });

  it('maps a valid answer back to the real ids, labels deduplicated in taxonomy order', () => {
    const text = JSON.stringify({
      answers: [
        { id: 's2', labels: [] },
        { id: 's1', labels: ['cognitive_impairment', 'notice_by_others', 'cognitive_impairment'] },
        { id: 's3', labels: [] },
      ],
    });
    const r = parseSilverAnswer(text, items, ids);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect([...r.labels.entries()]).toEqual([
        ['noteB:0', []],
        ['noteA:3', ['cognitive_impairment', 'notice_by_others']],
        ['noteC:9', []],
      ]);
    }
  });

  it('rejects unknown labels, missing, duplicate and unknown ids, bad JSON and wrong shapes', () => {
    const a = (answers: unknown) => parseSilverAnswer(JSON.stringify({ answers }), items, ids);
    expect(
      a([
        { id: 's1', labels: ['memory_loss'] },
        { id: 's2', labels: [] },
        { id: 's3', labels: [] },
      ]),
    ).toEqual({ ok: false, error: 'unknown label "memory_loss" for s1' });
    expect(
      a([
        { id: 's1', labels: [] },
        { id: 's2', labels: [] },
      ]),
    ).toEqual({ ok: false, error: 'missing ids: s3' });
    expect(
      a([
        { id: 's1', labels: [] },
        { id: 's1', labels: [] },
        { id: 's3', labels: [] },
      ]),
    ).toEqual({ ok: false, error: 'id "s1" appears more than once' });
    expect(
      a([
        { id: 's1', labels: [] },
        { id: 's2', labels: [] },
        { id: 's4', labels: [] },
      ]),
    ).toEqual({ ok: false, error: 'unknown id "s4"' });
    expect(parseSilverAnswer('{"answers": [', items, ids)).toMatchObject({
      ok: false,
      error: expect.stringContaining('not valid JSON'),
    });
    expect(parseSilverAnswer('{"answers": {"s1": []}}', items, ids)).toMatchObject({
      ok: false,
      error: expect.stringContaining('wrong shape'),
    });
    expect(
      parseSilverAnswer(
        '```json\n' +
          JSON.stringify({
            answers: [
              { id: 's1', labels: [] },
              { id: 's2', labels: [] },
              { id: 's3', labels: [] },
            ],
          }) +
          '\n```',
        items,
        ids,
      ).ok,
    ).toBe(true);
  });

  it('refuses to build a request with duplicate or no items', () => {
    expect(() => silverRequest(taxonomy, [], opts)).toThrow(/no items/);
    expect(() => silverRequest(taxonomy, [items[0]!, items[0]!], opts)).toThrow(/duplicate/);
  });
});

describe('bronze prompt', () => {
  it('asks for count sentences of exactly the target labels, with a strict schema', () => {
    const style = styleGrid()[0]!;
    const req = bronzeRequest(taxonomy, { labels: ['dementia_treatment'], count: 5, style, jobIndex: 4 }, opts);
    expect(strictProblems(req.schema)).toEqual([]);
    expect(arrayOf(req.schema, 'sentences')).toMatchObject({ minItems: 5, maxItems: 5, items: { type: 'string' } });
    const user = req.messages[1]!.content;
    expect(user).toContain('Write 5 new, distinct sentences.');
    expect(user).toContain('Target labels: dementia_treatment');
    expect(user).toContain(`note type: ${style.noteType}`);
    expect(req.seed).toBe(3 + 4);
    expect(req.schemaName).toBe('bronze_sentences');
    expect(() => bronzeRequest(taxonomy, { labels: ['nope'], count: 1, style }, opts)).toThrow(/unknown label/);
  });

  it('asks for hard negatives when the labels are empty', () => {
    const req = bronzeRequest(taxonomy, { labels: [], count: 2, style: styleGrid()[1]! }, opts);
    expect(req.messages[1]!.content).toContain('Target labels: none');
    expect(req.messages[1]!.content).toContain('denies memory loss');
  });

  it('parses exactly count sentences, collapsing whitespace and dropping repeats', () => {
    expect(parseBronzeAnswer(JSON.stringify({ sentences: ['A b.', ' a  B. ', 'C.'] }), 3)).toEqual({
      ok: true,
      sentences: ['A b.', 'C.'],
      duplicates: 1,
    });
    expect(parseBronzeAnswer(JSON.stringify({ sentences: ['A.'] }), 2)).toEqual({
      ok: false,
      error: 'expected 2 sentences, got 1',
    });
    expect(parseBronzeAnswer(JSON.stringify({ sentences: ['A.', '  '] }), 2)).toEqual({
      ok: false,
      error: 'sentence 2 is empty',
    });
    expect(parseBronzeAnswer('{"sentences": ["A.", "B', 2).ok).toBe(false);
  });

  it('styleGrid covers all 90 combinations, every dimension changing at each step', () => {
    const grid = styleGrid();
    expect(grid).toHaveLength(90);
    expect(new Set(grid.map((s) => JSON.stringify(s))).size).toBe(90);
    for (let i = 1; i < grid.length; i++) {
      const [a, b] = [grid[i - 1]!, grid[i]!];
      expect(
        a.noteType !== b.noteType &&
          a.speaker !== b.speaker &&
          a.severity !== b.severity &&
          a.abbreviations !== b.abbreviations,
      ).toBe(true);
    }
    expect(styleGrid()).toEqual(grid);
  });

  it('bronzeJobs is deterministic, splits perLabel into calls and keeps family voices to notice_by_others', () => {
    const jobs = bronzeJobs(ids, 25, 10, true);
    expect(bronzeJobs(ids, 25, 10, true)).toEqual(jobs);
    expect(jobs).toHaveLength(3 * (ids.length + 1));
    expect(jobs.map((j) => j.jobIndex)).toEqual(jobs.map((_, i) => i));
    for (const target of [...ids.filter((l) => l !== 'notice_by_others').map((l) => [l]), []]) {
      const mine = jobs.filter((j) => j.labels.join() === target.join());
      expect(mine.map((j) => j.count)).toEqual([10, 10, 5]);
    }
    // notice_by_others is never alone: it is paired with what was noticed, a different companion each round
    expect(jobs.filter((j) => j.labels.includes('notice_by_others')).map((j) => j.labels)).toEqual([
      ['cognitive_impairment', 'notice_by_others'],
      ['neuropsychiatric_symptoms', 'notice_by_others'],
      ['notice_by_others', 'physiological_changes'],
    ]);
    expect(
      bronzeJobs(ids, 1, 1, false, { familyCompanions: [] }).filter((j) => j.labels.includes('notice_by_others'))[0]!
        .labels,
    ).toEqual(['notice_by_others']);
    for (const j of jobs) {
      if (j.labels.includes('notice_by_others')) expect(j.style.speaker).toBe('family');
      else if (j.labels.length) expect(j.style.speaker).not.toBe('family');
    }
    expect(new Set(jobs.map((j) => j.style.noteType)).size).toBe(5);
    const combos = bronzeJobs(ids, 4, 4, false, { combos: [['cognitive_impairment', 'notice_by_others']] });
    expect(combos.at(-1)).toMatchObject({ labels: ['cognitive_impairment', 'notice_by_others'], count: 4 });
    expect(() => bronzeJobs(ids, 4, 0, false)).toThrow(/perCall/);
  });

  it('caps a bronze call at 100 output tokens per sentence asked for, within llm.maxTokens', () => {
    const style = styleGrid()[0]!;
    expect(bronzeRequest(taxonomy, { labels: ['cognitive_impairment'], count: 5, style }, opts).maxTokens).toBe(550);
    expect(bronzeRequest(taxonomy, { labels: ['cognitive_impairment'], count: 20, style }, opts).maxTokens).toBe(1000);
  });

  it('salvages the complete sentences before a cut-off, escapes included, and nothing from other text', () => {
    expect(
      salvageBronzeSentences('{"sentences": ["Pt forgets names.", "Wife says \\"he is lost\\".", "Per son, she'),
    ).toEqual(['Pt forgets names.', 'Wife says "he is lost".']);
    expect(salvageBronzeSentences('{"sentences": ["Pt  forgets\\nnames.", "pt forgets names.", "x')).toEqual([
      'Pt forgets names.',
    ]);
    expect(salvageBronzeSentences('{"sentences": ["unfinished')).toEqual([]);
    expect(salvageBronzeSentences('{"oops": {"sentences": 3')).toEqual([]);
    expect(salvageBronzeSentences('I cannot help with that.')).toEqual([]);
  });

  it('planBronzeJobs numbers on from earlier jobs, so top-up requests get new seeds and styles', () => {
    const first = bronzeJobs(ids, 4, 2, true);
    const more = planBronzeJobs(
      ids,
      [
        { target: ['cognitive_impairment'], count: 5 },
        { target: [], count: 2 },
        { target: ['dementia_treatment'], count: 0 },
      ],
      2,
      { jobsBefore: first.length },
    );
    expect(more.map((j) => j.jobIndex)).toEqual(more.map((_, i) => first.length + i));
    expect(more.filter((j) => j.labels.join() === 'cognitive_impairment').map((j) => j.count)).toEqual([2, 2, 1]);
    expect(more.filter((j) => j.labels.length === 0).map((j) => j.count)).toEqual([2]);
    expect(more.some((j) => j.labels.includes('dementia_treatment'))).toBe(false);
    const seeds = new Set([...first, ...more].map((j) => bronzeRequest(taxonomy, j, opts).seed));
    expect(seeds.size).toBe(first.length + more.length);
    // Same targets, same jobsBefore: the same plan (a retried planning activity writes the same pages).
    expect(
      planBronzeJobs(
        ids,
        [
          { target: ['cognitive_impairment'], count: 5 },
          { target: [], count: 2 },
        ],
        2,
        { jobsBefore: first.length },
      ),
    ).toEqual(more.filter((j) => j.count > 0));
    expect(() => planBronzeJobs(ids, [{ target: ['cognitive_impairment'], count: -1 }], 2)).toThrow(/count/);
  });

  it('counts a written row for a target when it expresses all of the target labels', () => {
    expect(bronzeTargets(ids, true, [['notice_by_others', 'cognitive_impairment']])).toEqual([
      ...ids.map((l) => [l]),
      ['cognitive_impairment', 'notice_by_others'],
      [],
    ]);
    expect(countsForTarget(['cognitive_impairment', 'notice_by_others'], ['notice_by_others'])).toBe(true);
    expect(countsForTarget(['cognitive_impairment'], ['cognitive_impairment', 'notice_by_others'])).toBe(false);
    expect(countsForTarget([], [])).toBe(true);
    expect(countsForTarget(['cognitive_impairment'], [])).toBe(false);
  });
});

describe('self-check prompt', () => {
  const checkItems = [
    { id: 'b1', text: 'Continue Aricept 10 mg.', labels: ['dementia_treatment'] },
    { id: 'b2', text: 'Daughter notes he forgets names.', labels: ['cognitive_impairment'] },
  ];

  it('has a strict schema with id, verdict, labels and reason', () => {
    for (const set of ['silver', 'bronze'] as const) {
      const req = selfCheckRequest(taxonomy, set, checkItems, opts);
      expect(strictProblems(req.schema)).toEqual([]);
      const item = arrayOf(req.schema, 'verdicts').items as JsonSchema;
      expect(arrayOf(item, 'verdict').enum).toEqual(['keep', 'fix', 'reject']);
      expect(arrayOf(item, 'id').enum).toEqual(['s1', 's2']);
      expect(req.messages[1]!.content).toContain(
        's2: {"text":"Daughter notes he forgets names.","labels":["cognitive_impairment"]}',
      );
    }
    expect(selfCheckRequest(taxonomy, 'bronze', checkItems, opts).messages[0]!.content).toContain('target');
  });

  it('parses verdicts, normalising keep and no-op fixes', () => {
    const text = JSON.stringify({
      verdicts: [
        { id: 's1', verdict: 'fix', labels: ['dementia_treatment'], reason: 'same' },
        { id: 's2', verdict: 'fix', labels: ['notice_by_others', 'cognitive_impairment'], reason: 'family  noticed' },
      ],
    });
    const r = parseSelfCheckAnswer(text, checkItems, ids);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.verdicts.get('b1')).toEqual({ verdict: 'keep', labels: ['dementia_treatment'], reason: 'same' });
      expect(r.verdicts.get('b2')).toEqual({
        verdict: 'fix',
        labels: ['cognitive_impairment', 'notice_by_others'],
        reason: 'family noticed',
      });
    }
  });

  it('rejects unknown verdicts, labels and ids', () => {
    const v = (verdicts: unknown) => parseSelfCheckAnswer(JSON.stringify({ verdicts }), checkItems, ids);
    const ok = { id: 's2', verdict: 'keep', labels: [], reason: '' };
    expect(v([{ id: 's1', verdict: 'maybe', labels: [], reason: '' }, ok])).toEqual({
      ok: false,
      error: 'unknown verdict "maybe" for s1',
    });
    expect(v([{ id: 's1', verdict: 'fix', labels: ['x'], reason: '' }, ok])).toEqual({
      ok: false,
      error: 'unknown label "x" for s1',
    });
    expect(v([ok, ok])).toEqual({ ok: false, error: 'id "s2" appears more than once' });
    expect(v([ok])).toEqual({ ok: false, error: 'missing ids: s1' });
  });
});
