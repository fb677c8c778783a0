// Malformed experiments, taxonomies, gold files and corpora for the bad-input drill: each case names the file to blame.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';

/** A directory instead of a file. */
export const DIR = Symbol('directory');
/** Content of one fixture file: text, bytes, a directory, or null to leave the file out. */
export type FileContent = string | Buffer | typeof DIR | null;

type Json = Record<string, unknown>;

/** A case folder: the valid base fixture with some files changed. */
export interface Fixture {
  /** Unique; also the experiment's `name` (so the workflow id `clinsynth-<name>` can be checked). */
  name: string;
  /** Files written over the valid base fixture, relative to the case folder. */
  files?: Record<string, FileContent>;
  /** Changes to the (valid) experiment object before it is written as YAML. */
  experiment?: (e: Json) => void;
  /** Raw experiment file content instead of the YAML of the object. */
  experimentText?: string | Buffer | typeof DIR | null;
  /** The path handed to the CLI, when it is not experiment.yaml. */
  cliFile?: string;
}

export interface BadInputCase extends Fixture {
  /** The file the message must name, relative to the case folder. */
  offending: string;
  /** What follows `file:line: ` on the problem's line (key, then why). */
  message: RegExp;
  /**
   * The line that is wrong: a number (0 = the file as a whole), or the text of the offending file's first line that,
   * trimmed, equals it (for experiment files written from an object, whose line numbers follow the YAML layout).
   */
  line: number | string;
}

const TAXONOMY = `# a small valid taxonomy
id: drill
version: 1
labels:
  - id: memory
    name: Memory
    definition: The patient has trouble remembering recent events or conversations.
    cues: [forgets, memory loss]
  - id: mood
    name: Mood
    definition: The patient shows depression, anxiety, apathy or agitation.
    cues: [tearful, agitated]
examples:
  - text: She forgets what she was told an hour ago.
    labels: [memory]
  - text: He is tearful and withdrawn.
    labels: [mood]
`;

const jsonl = (rows: unknown[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

const GOLD_TRAIN = jsonl([
  { id: 'tr-1', text: 'She forgets recent conversations.', labels: ['memory'] },
  { id: 'tr-2', text: 'He is agitated in the evenings.', labels: ['mood'] },
  { id: 'tr-3', text: 'Blood pressure is well controlled.', labels: [] },
]);
const GOLD_TEST = jsonl([
  { id: 'te-1', text: 'Her husband says she repeats questions.', labels: ['memory'] },
  { id: 'te-2', text: 'Lungs are clear.', labels: [] },
]);
const NOTES = jsonl([
  { id: 'n1', text: 'Patient forgets appointments. She is tearful at times. Lungs clear.' },
  { id: 'n2', text: 'Follow-up for hypertension. No complaints.' },
]);

export const MTSAMPLES_HEADER = 'note_hash,specialties,sample_names,description,transcription,keywords';
export const MIMIC_HEADER =
  '"ROW_ID","SUBJECT_ID","HADM_ID","CHARTDATE","CHARTTIME","STORETIME","CATEGORY","DESCRIPTION","CGID","ISERROR","TEXT"';
export const mtsamplesRow = (id: string, text: string) =>
  `${id},Neurology,Memory clinic,A visit,"${text.replace(/"/g, '""')}",memory`;
export const mimicRow = (id: number, text: string, iserror = '') =>
  `${id},10${id},20${id},2101-01-01,,,"Discharge summary","Report",,${iserror},"${text.replace(/"/g, '""')}"`;

/** The valid experiment every case starts from (paths relative to the case folder). */
export function baseExperiment(name: string): Json {
  return {
    name,
    taxonomy: 'taxonomy.yaml',
    gold: { train: 'gold-train.jsonl', test: 'gold-test.jsonl' },
    corpus: { path: 'notes.jsonl', format: 'jsonl', maxSentences: 24 },
    silver: { enabled: true, batchSize: 4 },
    bronze: { enabled: true, perLabel: 3, perCall: 3 },
    selfCheck: { enabled: true, batchSize: 4 },
    llm: { provider: 'local', concurrency: 2 },
    train: { seeds: [1] },
    evaluate: { mixes: ['gold', 'gold+silver', 'gold+bronze'] },
    output: 'runs/',
  };
}

const BASE_FILES: Record<string, FileContent> = {
  'taxonomy.yaml': TAXONOMY,
  'gold-train.jsonl': GOLD_TRAIN,
  'gold-test.jsonl': GOLD_TEST,
  'notes.jsonl': NOTES,
};

const TEN_MB = 10 * 1024 * 1024;
const latin1 = (s: string) => Buffer.from(s, 'latin1');
const corpus =
  (path: string, format: string, extra: Json = {}) =>
  (e: Json) => {
    e.corpus = { ...(e.corpus as Json), path, format, ...extra };
  };
const set = (path: string, value: unknown) => (e: Json) => {
  const keys = path.split('.');
  let o = e;
  for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Json;
  if (value === undefined) delete o[keys.at(-1)!];
  else o[keys.at(-1)!] = value;
};
const taxonomyWith = (from: string, to: string): string => {
  if (!TAXONOMY.includes(from)) throw new Error(`fixture: "${from}" is not in the taxonomy`);
  return TAXONOMY.replace(from, to);
};

const EXP = 'experiment.yaml';
const EXAMPLES = 'examples.jsonl';
/** Two worked examples that are no gold sentence. */
const EXAMPLES_OK = jsonl([
  { text: 'He cannot recall what he ate for breakfast.', labels: ['memory'] },
  { text: 'Skin is warm and dry.', labels: [] },
]);
const TAX = 'taxonomy.yaml';
const TRAIN = 'gold-train.jsonl';
const TEST = 'gold-test.jsonl';

/** Every malformed input of the drill. Names are unique and valid experiment names. */
export function badInputCases(): BadInputCase[] {
  const cases: BadInputCase[] = [
    // --- the experiment file itself
    {
      name: 'bad-exp-empty',
      experimentText: '# nothing but a comment\n',
      offending: EXP,
      message: /\(root\): file is empty/,
      line: 1,
    },
    {
      name: 'bad-exp-missing',
      cliFile: 'does-not-exist.yaml',
      offending: 'does-not-exist.yaml',
      message: /\(root\): file does not exist/,
      line: 0,
    },
    {
      name: 'bad-exp-directory',
      experimentText: DIR,
      offending: EXP,
      message: /\(root\): file is a directory/,
      line: 0,
    },
    {
      name: 'bad-exp-yaml-syntax',
      experimentText: 'name: bad-exp-yaml-syntax\ngold: { train: a.jsonl, test: [b.jsonl\ntaxonomy: t.yaml\n',
      offending: EXP,
      message: /\(root\): YAML syntax: /,
      line: 3, // the parser finds the flow collection of line 2 unclosed where line 3 starts
    },
    {
      name: 'bad-exp-duplicate-key',
      experimentText: 'name: bad-exp-duplicate-key\ntaxonomy: taxonomy.yaml\ntaxonomy: other.yaml\n',
      offending: EXP,
      message: /\(root\): YAML syntax: .*unique/,
      line: 3,
    },
    {
      name: 'bad-exp-not-utf8',
      experimentText: Buffer.concat([
        Buffer.from('name: bad-exp-not-utf8\n'),
        latin1('# r\xe9sum\xe9 of the experiment\n'),
      ]),
      offending: EXP,
      message: /\(root\): not valid UTF-8 text/,
      line: 2,
    },
    {
      name: 'bad-exp-10mb-line',
      experimentText: 'x'.repeat(TEN_MB),
      offending: EXP,
      message: /\(root\): .*expected object/,
      line: 1,
    },
    {
      name: 'bad-exp-top-level-list',
      experimentText: '- name: bad-exp-top-level-list\n- taxonomy: taxonomy.yaml\n',
      offending: EXP,
      message: /\(root\): .*expected object/,
      line: 1,
    },
    {
      name: 'bad-exp-alias-bomb',
      experimentText: aliasBomb('bad-exp-alias-bomb'),
      offending: EXP,
      message: /\(root\): .*alias/i,
      line: 1,
    },
    {
      name: 'bad-exp-missing-taxonomy-key',
      experiment: set('taxonomy', undefined),
      offending: EXP,
      message: /taxonomy: .*expected string/,
      line: 1, // the root map, which lacks the key
    },
    {
      name: 'bad-exp-missing-gold-test',
      experiment: set('gold.test', undefined),
      offending: EXP,
      message: /gold\.test: required/,
      line: 'train: gold-train.jsonl', // the gold map, which lacks test
    },
    {
      name: 'bad-exp-wrong-type',
      experiment: set('corpus.maxSentences', 'lots'),
      offending: EXP,
      message: /corpus\.maxSentences: .*expected number/,
      line: 'maxSentences: lots',
    },
    {
      name: 'bad-exp-wrong-type-bool',
      experiment: set('silver.enabled', 'yes'),
      offending: EXP,
      message: /silver\.enabled: .*expected boolean/,
      line: 'enabled: yes',
    },
    {
      name: 'bad-exp-unknown-key',
      experiment: set('outptu', 'runs/'),
      offending: EXP,
      message: /outptu: unknown key/,
      line: 'outptu: runs/',
    },
    {
      name: 'bad-exp-unknown-nested-key',
      experiment: set('bronze.perlabel', 5),
      offending: EXP,
      message: /bronze\.perlabel: unknown key/,
      line: 'perlabel: 5',
    },
    {
      name: 'bad-exp-bad-name',
      experiment: set('name', 'bad name!'),
      offending: EXP,
      message: /name: letters, digits/,
      line: 1,
    },
    {
      name: 'bad-exp-mix-unknown-source',
      experiment: set('evaluate.mixes', ['gold', 'gold+platinum']),
      offending: EXP,
      message: /evaluate\.mixes\.1: a mix is sources joined by \+/,
      line: '- gold+platinum',
    },
    {
      name: 'bad-exp-mix-repeated-source',
      experiment: set('evaluate.mixes', ['gold+silver+gold']),
      offending: EXP,
      message: /evaluate\.mixes\.0: a source appears twice/,
      line: '- gold+silver+gold',
    },
    {
      name: 'bad-exp-mix-disabled-source',
      experiment: set('bronze.enabled', false),
      offending: EXP,
      message: /evaluate\.mixes\.2: mix "gold\+bronze" uses bronze, which is disabled/,
      line: '- gold+bronze',
    },
    {
      name: 'bad-exp-mixes-not-a-list',
      experiment: set('evaluate.mixes', 'gold'),
      offending: EXP,
      message: /evaluate\.mixes: .*expected array/,
      line: 'mixes: gold',
    },
    {
      name: 'bad-exp-mixes-empty',
      experiment: set('evaluate.mixes', []),
      offending: EXP,
      message: /evaluate\.mixes: /,
      line: 'mixes: []',
    },
    {
      name: 'bad-exp-bad-format',
      experiment: set('corpus.format', 'csv'),
      offending: EXP,
      message: /corpus\.format: /,
      line: 'format: csv',
    },
    {
      name: 'bad-exp-taxonomy-missing',
      experiment: set('taxonomy', 'nowhere/taxonomy.yaml'),
      offending: EXP,
      message: /taxonomy: nowhere\/taxonomy\.yaml does not exist/,
      line: 'taxonomy: nowhere/taxonomy.yaml',
    },
    {
      name: 'bad-exp-gold-is-directory',
      files: { 'gold-dir': DIR },
      experiment: set('gold.train', 'gold-dir'),
      offending: EXP,
      message: /gold\.train: gold-dir is a directory/,
      line: 'train: gold-dir',
    },
    {
      name: 'bad-exp-corpus-missing',
      experiment: set('corpus.path', 'no-notes.jsonl'),
      offending: EXP,
      message: /corpus\.path: no-notes\.jsonl does not exist/,
      line: 'path: no-notes.jsonl',
    },
    {
      name: 'bad-exp-corpus-is-directory',
      files: { notes: DIR },
      experiment: set('corpus.path', 'notes'),
      offending: EXP,
      message: /corpus\.path: notes is a directory/,
      line: 'path: notes',
    },
    {
      name: 'bad-exp-folds-too-many',
      files: { 'gold.jsonl': GOLD_TRAIN },
      experiment: (e) => (set('gold', { path: 'gold.jsonl' })(e), set('evaluate.folds', 50)(e)),
      offending: EXP,
      message: /evaluate\.folds: 50 folds but the gold file has \d+ notes?/,
      line: 'folds: 50',
    },
    {
      name: 'bad-exp-folds-with-train-test',
      experiment: set('evaluate.folds', 5),
      offending: EXP,
      message: /evaluate\.folds: folds need one gold file \(gold\.path\)/,
      line: 'folds: 5',
    },
    {
      name: 'bad-exp-curve-share-zero',
      experiment: set('evaluate.curves', { synthetic: [0, 0.5] }),
      offending: EXP,
      message: /evaluate\.curves\.synthetic\.0: a share in \(0, 1\]/,
      line: '- 0',
    },
    {
      name: 'bad-exp-curve-share-above-one',
      experiment: set('evaluate.curves', { gold: [0.5, 1.5] }),
      offending: EXP,
      message: /evaluate\.curves\.gold\.1: a share in \(0, 1\]/,
      line: '- 1.5',
    },
    {
      name: 'bad-exp-reviewed-mix-without-review',
      experiment: set('evaluate.mixes', ['gold', 'gold+reviewed']),
      offending: EXP,
      message:
        /evaluate\.mixes\.1: mix "gold\+reviewed" uses reviewed, which is disabled \(reviewed rows need review\.enabled: true\)/,
      line: '- gold+reviewed',
    },
    {
      name: 'bad-exp-review-unknown-reason',
      experiment: set('review', { enabled: true, select: ['disagreement', 'hunch'] }),
      offending: EXP,
      message: /review\.select\.1: /,
      line: '- hunch',
    },
    {
      name: 'bad-exp-review-max-zero',
      experiment: set('review', { enabled: true, max: 0 }),
      offending: EXP,
      message: /review\.max: /,
      line: 'max: 0',
    },
    {
      name: 'bad-exp-baseline-not-evaluated',
      experiment: set('evaluate.baseline', 'silver'),
      offending: EXP,
      message: /evaluate\.baseline: mix "silver" is not in evaluate\.mixes/,
      line: 'baseline: silver',
    },
    {
      name: 'bad-exp-gold-test-is-train',
      experiment: set('gold.test', './gold-train.jsonl'),
      offending: EXP,
      message: /gold\.test: the test set must not be the training set/,
      line: 'test: ./gold-train.jsonl',
    },
    {
      name: 'bad-exp-openai-no-baseurl',
      experiment: set('llm', { provider: 'openai', model: 'gpt-4o-mini' }),
      offending: EXP,
      message: /llm\.baseURL: required when provider is openai/,
      line: 'provider: openai', // the provider that needs a baseURL
    },
    {
      name: 'bad-exp-batch-local-model',
      experiment: set('llm', { provider: 'local', batch: true }),
      offending: EXP,
      message: /llm\.batch: a batch API needs provider openai/,
      line: 'batch: true',
    },
    {
      name: 'bad-exp-batch-api-unknown',
      experiment: set('llm', {
        provider: 'openai',
        baseURL: 'http://127.0.0.1:9/v1',
        model: 'm',
        batch: true,
        batchApi: 'vertex',
      }),
      offending: EXP,
      message: /llm\.batchApi: /,
      line: 'batchApi: vertex',
    },
    {
      name: 'bad-exp-output-is-file',
      files: { 'runs-file': 'not a folder\n' },
      experiment: set('output', 'runs-file'),
      offending: EXP,
      message: /output: runs-file is a file, expected a folder/,
      line: 'output: runs-file',
    },

    // --- the taxonomy
    {
      name: 'bad-tax-duplicate-label',
      files: { [TAX]: taxonomyWith('  - id: mood', '  - id: memory') },
      offending: TAX,
      message: /labels\.1\.id: duplicate label id "memory"/,
      line: 9,
    },
    {
      name: 'bad-tax-missing-definition',
      files: {
        [TAX]: taxonomyWith('    definition: The patient shows depression, anxiety, apathy or agitation.\n', ''),
      },
      offending: TAX,
      message: /labels\.1\.definition: /,
      line: 9, // the label without a definition
    },
    {
      name: 'bad-tax-short-definition',
      files: {
        [TAX]: taxonomyWith(
          'definition: The patient shows depression, anxiety, apathy or agitation.',
          'definition: sad',
        ),
      },
      offending: TAX,
      message: /labels\.1\.definition: definition must be a real sentence/,
      line: 11,
    },
    {
      name: 'bad-tax-example-unknown-label',
      files: { [TAX]: taxonomyWith('labels: [mood]', 'labels: [mood, sadness]') },
      offending: TAX,
      message: /examples\.1\.labels\.1: unknown label "sadness"/,
      line: 17,
    },
    {
      name: 'bad-tax-no-labels',
      files: { [TAX]: 'id: drill\nversion: 1\nlabels: []\n' },
      offending: TAX,
      message: /labels: at least one label is required/,
      line: 3,
    },
    {
      name: 'bad-tax-label-id-case',
      files: { [TAX]: taxonomyWith('  - id: mood', '  - id: Mood Swings') },
      offending: TAX,
      message: /labels\.1\.id: label id must be lower_snake_case/,
      line: 9,
    },
    {
      name: 'bad-tax-none-is-label',
      files: { [TAX]: taxonomyWith('  - id: mood', '  - id: none') },
      offending: TAX,
      message: /labels\.1\.id: "none" is the none label/,
      line: 9,
    },
    {
      name: 'bad-tax-unknown-key',
      files: { [TAX]: taxonomyWith('version: 1\n', 'version: 1\nlabel_set: big\n') },
      offending: TAX,
      message: /label_set: unknown key/,
      line: 4,
    },
    { name: 'bad-tax-empty', files: { [TAX]: '' }, offending: TAX, message: /\(root\): file is empty/, line: 1 },
    {
      name: 'bad-tax-yaml-syntax',
      files: { [TAX]: taxonomyWith('cues: [tearful, agitated]', 'cues: [tearful, agitated') },
      offending: TAX,
      message: /\(root\): YAML syntax: /,
      line: 13, // the parser finds line 12's flow sequence unclosed where line 13 starts
    },
    {
      name: 'bad-tax-not-utf8',
      files: { [TAX]: Buffer.concat([Buffer.from(TAXONOMY), latin1('# caf\xe9\n')]) },
      offending: TAX,
      message: /\(root\): not valid UTF-8 text/,
      line: 18,
    },

    // --- the gold files
    {
      name: 'bad-gold-unknown-label',
      files: { [TRAIN]: GOLD_TRAIN + jsonl([{ id: 'tr-4', text: 'He wanders at night.', labels: ['wandering'] }]) },
      offending: TRAIN,
      message: /labels\.0: unknown label "wandering" \(expected one of memory, mood\)/,
      line: 4,
    },
    {
      name: 'bad-gold-none-label',
      files: { [TEST]: jsonl([{ id: 'te-1', text: 'Lungs are clear.', labels: ['none'] }]) },
      offending: TEST,
      message: /labels\.0: unknown label "none" \(use \[\] for none\)/,
      line: 1,
    },
    {
      name: 'bad-gold-duplicate-id',
      files: { [TRAIN]: GOLD_TRAIN + jsonl([{ id: 'tr-2', text: 'Another sentence.', labels: [] }]) },
      offending: TRAIN,
      message: /id: duplicate id "tr-2" \(first on line 2\)/,
      line: 4,
    },
    {
      name: 'bad-gold-bad-json-line',
      files: { [TRAIN]: GOLD_TRAIN.replace('"tr-2"', '"tr-2",,') },
      offending: TRAIN,
      message: /\(root\): invalid JSON/,
      line: 2,
    },
    {
      name: 'bad-gold-empty-text',
      files: { [TEST]: GOLD_TEST + jsonl([{ id: 'te-3', text: '  ', labels: [] }]) },
      offending: TEST,
      message: /text: empty text/,
      line: 3,
    },
    {
      name: 'bad-gold-missing-labels',
      files: { [TRAIN]: jsonl([{ id: 'tr-1', text: 'She forgets.' }]) },
      offending: TRAIN,
      message: /labels: must be a list of label ids/,
      line: 1,
    },
    {
      name: 'bad-gold-labels-string',
      files: { [TRAIN]: jsonl([{ id: 'tr-1', text: 'She forgets.', labels: 'memory' }]) },
      offending: TRAIN,
      message: /labels: must be a list of label ids/,
      line: 1,
    },
    {
      name: 'bad-gold-not-an-object',
      files: { [TEST]: '[1, 2, 3]\n' },
      offending: TEST,
      message: /\(root\): .*expected object/,
      line: 1,
    },
    { name: 'bad-gold-empty', files: { [TEST]: '\n\n' }, offending: TEST, message: /\(root\): file is empty/, line: 1 },
    {
      name: 'bad-gold-not-utf8',
      files: {
        [TRAIN]: Buffer.concat([Buffer.from(GOLD_TRAIN), latin1('{"id":"tr-4","text":"Confus\xe9e.","labels":[]}\n')]),
      },
      offending: TRAIN,
      message: /\(root\): not valid UTF-8 text/,
      line: 4,
    },
    {
      name: 'bad-gold-path-unknown-label',
      files: { 'gold.jsonl': GOLD_TRAIN + jsonl([{ id: 'g-4', text: 'Falls at home.', labels: ['falls'] }]) },
      experiment: set('gold', { path: 'gold.jsonl' }),
      offending: 'gold.jsonl',
      message: /labels\.0: unknown label "falls"/,
      line: 4,
    },
    {
      name: 'bad-gold-sentence-too-long',
      files: { [TRAIN]: GOLD_TRAIN + jsonl([{ id: 'tr-4', text: 'a'.repeat(2001), labels: [] }]) },
      offending: TRAIN,
      message: /text: 2001 characters: a gold row is one sentence/,
      line: 4,
    },
    {
      name: 'bad-gold-10mb-line',
      files: { [TRAIN]: '{"id": "tr-1", "text": "' + 'a'.repeat(TEN_MB) },
      offending: TRAIN,
      message: /\(root\): invalid JSON/,
      line: 1,
    },

    // --- the few-shot examples (silver.examples): never a gold sentence, only the taxonomy's labels
    {
      name: 'bad-examples-gold-sentence',
      files: { [EXAMPLES]: EXAMPLES_OK + jsonl([{ text: 'Lungs are clear.', labels: [] }]) },
      experiment: set('silver.examples', EXAMPLES),
      offending: EXAMPLES,
      message: /text: equals gold sentence at \/\S*\/gold-test\.jsonl:2: gold is never a source of examples/,
      line: 3,
    },
    {
      name: 'bad-examples-near-gold',
      files: {
        [EXAMPLES]: jsonl([{ text: 'She forgets her recent conversations.', labels: ['memory'] }]) + EXAMPLES_OK,
      },
      experiment: set('silver.examples', EXAMPLES),
      offending: EXAMPLES,
      message: /text: near gold sentence at \/\S*\/gold-train\.jsonl:1 \(cosine (0\.9[5-9]|1\.00)\)/,
      line: 1,
    },
    {
      name: 'bad-examples-unknown-label',
      files: { [EXAMPLES]: EXAMPLES_OK + jsonl([{ text: 'He sleeps all day.', labels: ['sleep'] }]) },
      experiment: set('silver.examples', EXAMPLES),
      offending: EXAMPLES,
      message: /labels\.0: unknown label "sleep" \(expected one of memory, mood\)/,
      line: 3,
    },
    {
      name: 'bad-examples-not-json',
      files: { [EXAMPLES]: '{"text": "Forgets keys.", "labels": [memory]}\n' },
      experiment: set('silver.examples', EXAMPLES),
      offending: EXAMPLES,
      message: /\(root\): invalid JSON/,
      line: 1,
    },
    {
      name: 'bad-exp-shots-without-examples',
      experiment: set('silver.shots', 2),
      offending: EXP,
      message: /silver\.shots: needs silver\.examples/,
      line: 'shots: 2',
    },
    // --- the corpus
    {
      name: 'bad-corpus-empty',
      files: { 'notes.jsonl': '' },
      offending: 'notes.jsonl',
      message: /\(root\): file is empty/,
      line: 1,
    },
    {
      name: 'bad-corpus-blank-lines',
      files: { 'notes.jsonl': '\n \n\n' },
      offending: 'notes.jsonl',
      message: /\(root\): file is empty/,
      line: 1,
    },
    {
      name: 'bad-corpus-text-empty',
      files: { 'notes.txt': '\n\n   \n' },
      experiment: corpus('notes.txt', 'text'),
      offending: 'notes.txt',
      message: /\(root\): file is empty/,
      line: 1,
    },
    {
      name: 'bad-corpus-mtsamples-header',
      files: {
        'mts.csv': 'id,specialty,name,description,text,keywords\n' + mtsamplesRow('h1', 'Forgets names.') + '\n',
      },
      experiment: corpus('mts.csv', 'mtsamples-csv'),
      offending: 'mts.csv',
      message: /header: expected columns note_hash,.*\(missing note_hash, specialties, sample_names, transcription\)/,
      line: 1,
    },
    {
      name: 'bad-corpus-mtsamples-empty',
      files: { 'mts.csv': '' },
      experiment: corpus('mts.csv', 'mtsamples-csv'),
      offending: 'mts.csv',
      message: /header: expected columns .*the file is empty/,
      line: 1,
    },
    {
      name: 'bad-corpus-mtsamples-open-quote',
      files: {
        'mts.csv':
          [MTSAMPLES_HEADER, 'h1,Neurology,x,y,"Forgets names.,memory', 'h2,Neurology,x,y,Lungs clear.,none'].join(
            '\n',
          ) + '\n',
      },
      experiment: corpus('mts.csv', 'mtsamples-csv'),
      offending: 'mts.csv',
      message: /\(root\): no valid mtsamples-csv note in the first 1 row .*quoted field is not closed/,
      line: 2,
    },
    {
      name: 'bad-corpus-mimic-header',
      files: {
        'noteevents.csv': MIMIC_HEADER.replace(',"TEXT"', ',"NOTE"') + '\n' + mimicRow(1, 'Forgets names.') + '\n',
      },
      experiment: corpus('noteevents.csv', 'mimic-noteevents-csv'),
      offending: 'noteevents.csv',
      message: /header: expected columns ROW_ID,.*\(missing TEXT\)/,
      line: 1,
    },
    {
      name: 'bad-corpus-mimic-mtsamples-header',
      files: { 'noteevents.csv': MTSAMPLES_HEADER + '\n' + mtsamplesRow('h1', 'Forgets names.') + '\n' },
      experiment: corpus('noteevents.csv', 'mimic-noteevents-csv'),
      offending: 'noteevents.csv',
      message: /header: expected columns ROW_ID,.*\(missing ROW_ID, /,
      line: 1,
    },
    {
      name: 'bad-corpus-mimic-header-only',
      files: { 'noteevents.csv': MIMIC_HEADER + '\n' },
      experiment: corpus('noteevents.csv', 'mimic-noteevents-csv'),
      offending: 'noteevents.csv',
      message: /\(root\): no rows after the header/,
      line: 2, // where the first row should be
    },
    {
      name: 'bad-corpus-mimic-all-errors',
      files: {
        'noteevents.csv': [MIMIC_HEADER, mimicRow(1, 'Forgets.', '1'), mimicRow(2, 'Tearful.', '1')].join('\n') + '\n',
      },
      experiment: corpus('noteevents.csv', 'mimic-noteevents-csv'),
      offending: 'noteevents.csv',
      message: /\(root\): no valid mimic-noteevents-csv note in the file/,
      line: 2, // the first row (every row is marked ISERROR)
    },
    {
      name: 'bad-corpus-latin1-start',
      files: {
        'notes.jsonl': Buffer.concat([latin1('{"id":"n1","text":"Patiente confus\xe9e."}\n'), Buffer.from(NOTES)]),
      },
      offending: 'notes.jsonl',
      message: /\(root\): not valid UTF-8 text at the start/,
      line: 1,
    },
    {
      name: 'bad-corpus-utf16',
      files: { 'notes.jsonl': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(NOTES, 'utf16le')]) },
      offending: 'notes.jsonl',
      message: /\(root\): UTF-16 text/,
      line: 1,
    },
    {
      name: 'bad-corpus-gzip',
      files: { 'notes.jsonl': Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x4c]) },
      offending: 'notes.jsonl',
      message: /\(root\): binary data/,
      line: 1,
    },
    {
      name: 'bad-corpus-csv-as-jsonl',
      files: {
        'notes.jsonl':
          [MTSAMPLES_HEADER, mtsamplesRow('h1', 'Forgets names.'), mtsamplesRow('h2', 'Lungs clear.')].join('\n') +
          '\n',
      },
      offending: 'notes.jsonl',
      message: /\(root\): no valid jsonl note in the first 3 rows \(3 bad; the first: invalid JSON/,
      line: 1,
    },
    {
      name: 'bad-corpus-10mb-line',
      files: { 'notes.jsonl': 'n'.repeat(TEN_MB) },
      offending: 'notes.jsonl',
      message: /\(root\): no valid jsonl note in the first 1 row /,
      line: 1,
    },
    {
      name: 'bad-corpus-1000-bad-rows',
      files: { 'notes.jsonl': '{"id":"x"}\n'.repeat(1000) + NOTES },
      offending: 'notes.jsonl',
      message: /text: no valid jsonl note in the first 1000 rows \(1000 bad/,
      line: 1,
    },
    {
      name: 'bad-corpus-no-text',
      files: {
        'notes.jsonl': jsonl([
          { id: 'n1', body: 'x' },
          { id: 'n2', text: '' },
        ]),
      },
      offending: 'notes.jsonl',
      message: /text: no valid jsonl note in the first 2 rows/,
      line: 1,
    },
    {
      name: 'bad-corpus-reject-bad-row',
      files: { 'notes.jsonl': NOTES + '{"id":"n3","text":\n' },
      experiment: corpus('notes.jsonl', 'jsonl', { onBadRow: 'reject' }),
      offending: 'notes.jsonl',
      message: /\(root\): invalid JSON/,
      line: 3,
    },
  ];
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`fixture: duplicate case name ${c.name}`);
    names.add(c.name);
  }
  return cases;
}

/** A small YAML "billion laughs": a few lines that expand to millions of nodes. */
function aliasBomb(name: string): string {
  const lines = [`name: ${name}`, 'a: &a [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i <= 8; i++) {
    const prev = `a${i - 1}`.replace(/^a0$/, 'a');
    lines.push(`a${i}: &a${i} [${Array(10).fill(`*${prev}`).join(', ')}]`);
  }
  return lines.join('\n') + '\n';
}

/** Writes the base fixture with the case's changes into a fresh folder; returns the CLI's file and the file to blame. */
export function writeCase(
  c: Fixture & { offending?: string },
  root = mkdtempSync(join(tmpdir(), 'clinsynth-bad-input-')),
): { dir: string; file: string; offending: string } {
  const dir = join(root, c.name);
  mkdirSync(dir, { recursive: true });
  const experiment = baseExperiment(c.name);
  c.experiment?.(experiment);
  const files: Record<string, FileContent> = {
    ...BASE_FILES,
    [EXP]: c.experimentText !== undefined ? c.experimentText : stringify(experiment),
    ...c.files,
  };
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    rmSync(path, { recursive: true, force: true });
    if (content === null) continue;
    mkdirSync(content === DIR ? path : dirname(path), { recursive: true });
    if (content !== DIR) writeFileSync(path, content);
  }
  return { dir, file: join(dir, c.cliFile ?? EXP), offending: join(dir, c.offending ?? EXP) };
}

/** Valid variants that the pre-flight must accept: every corpus format, and a skip-mode corpus with a few bad rows. */
export function validCases(): Fixture[] {
  return [
    { name: 'good-jsonl' },
    {
      name: 'good-text',
      files: { 'notes.txt': 'Patient forgets names.\nShe is tearful.\n\nFollow-up visit.\n' },
      experiment: corpus('notes.txt', 'text'),
    },
    {
      name: 'good-mtsamples',
      files: {
        'mts.csv':
          [MTSAMPLES_HEADER, mtsamplesRow('h1', 'Forgets names,\n"often".'), mtsamplesRow('h2', 'Lungs clear.')].join(
            '\r\n',
          ) + '\r\n',
      },
      experiment: corpus('mts.csv', 'mtsamples-csv'),
    },
    {
      name: 'good-mimic',
      files: {
        'noteevents.csv':
          [MIMIC_HEADER, mimicRow(1, 'Wrong note.', '1'), mimicRow(2, 'Tearful and agitated.')].join('\n') + '\n',
      },
      experiment: corpus('noteevents.csv', 'mimic-noteevents-csv'),
    },
    {
      name: 'good-examples',
      files: { [EXAMPLES]: EXAMPLES_OK },
      experiment: (e) => {
        set('silver.examples', EXAMPLES)(e);
        set('silver.shots', 1)(e);
        set('silver.selectExamples', 'similar')(e);
      },
    },
    { name: 'good-999-bad-rows-then-a-note', files: { 'notes.jsonl': '{"id":"x"}\n'.repeat(999) + NOTES } },
    {
      name: 'good-skip-some-bad-rows',
      files: {
        'notes.jsonl': Buffer.concat([
          Buffer.from('{"id":"n0","text":\n' + NOTES),
          latin1('{"id":"n3","text":"confus\xe9e"}\n'),
          Buffer.from('{"id":"n4","text":""}\n'),
        ]),
      },
    },
  ];
}
