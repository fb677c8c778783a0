// loadExperiment, structured-file and problems: defaults, path resolution, and every rejection with its line and key path.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { preflight } from '../../lib/corpus/preflight.js';
import { experimentDetails } from '../../lib/run/summaries.js';
import { InputError, formatProblem, type Problem } from '../../lib/config/problems.js';
import { parseYamlFile, readTextFile } from '../../lib/config/structured-file.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

const TAXONOMY = resolve(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml');

/** A temp folder with small gold/notes files of its own, under data/. */
function tempProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-exp-test-'));
  mkdirSync(join(dir, 'data'));
  writeFileSync(
    join(dir, 'data', 'train.jsonl'),
    '{"id":"t1","text":"She is forgetful.","labels":["cognitive_impairment"]}\n',
  );
  writeFileSync(join(dir, 'data', 'test.jsonl'), '{"id":"e1","text":"He uses a walker.","labels":[]}\n');
  writeFileSync(join(dir, 'data', 'notes.jsonl'), '{"id":"n1","text":"Pt is confused. BP is fine."}\n');
  return dir;
}

/** The valid base file, one entry per line (line numbers below are 1-based indexes into this list). */
function baseLines(): string[] {
  return [
    'name: t-exp', // 1
    `taxonomy: ${TAXONOMY}`, // 2
    'gold:', // 3
    '  train: data/train.jsonl', // 4
    '  test: data/test.jsonl', // 5
    'corpus:', // 6
    '  path: data/notes.jsonl', // 7
    'silver:', // 8
    '  enabled: true', // 9
    '  batchSize: 4', // 10
    'llm:', // 11
    '  provider: local', // 12
    '  concurrency: 2', // 13
    'evaluate:', // 14
    '  mixes:', // 15
    '    - gold', // 16
    '    - gold+silver', // 17
    '    - gold+bronze', // 18
    'output: out/', // 19
  ];
}

function write(dir: string, content: string | Buffer, name = 'experiment.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

/** Replaces 1-based line `n` (or several) and returns the text. */
function withLines(edits: Record<number, string | string[]>, lines = baseLines()): string {
  const out: string[] = [];
  lines.forEach((l, i) => {
    const e = edits[i + 1];
    if (e === undefined) out.push(l);
    else out.push(...(Array.isArray(e) ? e : [e]));
  });
  return out.join('\n') + '\n';
}

function problemsOf(fn: () => unknown): Problem[] {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  const problems = (caught as InputError).problems;
  expect(problems.length).toBeGreaterThan(0);
  return problems;
}

function rejects(text: string | Buffer): { file: string; problems: Problem[] } {
  const dir = tempProject();
  const file = write(dir, text);
  return { file, problems: problemsOf(() => loadExperiment(file)) };
}

describe('loadExperiment: a valid file', () => {
  it('resolves relative paths against the file folder and applies defaults', () => {
    const dir = tempProject();
    const file = write(dir, withLines({}));
    // A relative file argument resolves against the cwd, but the paths inside resolve against the file's folder.
    const e = loadExperiment(file);
    expect(process.cwd()).not.toBe(dir);
    expect(e.file).toBe(file);
    expect(e.taxonomy).toBe(TAXONOMY);
    expect(e.gold).toEqual({
      train: join(dir, 'data', 'train.jsonl'),
      test: join(dir, 'data', 'test.jsonl'),
      testShare: 0.2,
      splitSeed: 1,
    });
    expect(e.corpus?.path).toBe(join(dir, 'data', 'notes.jsonl'));
    expect(e.output).toBe(join(dir, 'out'));

    // Given values win, missing ones get their defaults.
    expect(e.silver).toEqual({ enabled: true, batchSize: 4, rationale: false });
    expect(e.corpus).toMatchObject({
      format: 'jsonl',
      sensitive: false,
      maxSentences: 2000,
      negativeShare: 0.2,
      lexicon: [],
      onBadRow: 'skip',
    });
    expect(e.bronze).toEqual({
      enabled: true,
      perLabel: 50,
      perCall: 5,
      includeNone: true,
      combos: [],
      temperature: 0.8,
      topUpRounds: 3,
    });
    expect(e.selfCheck).toEqual({ enabled: true, batchSize: 8, rationale: false });
    expect(e.llm).toMatchObject({
      provider: 'local',
      concurrency: 2,
      apiKeyEnv: 'OPENAI_API_KEY',
      allowSensitive: false,
      temperature: 0,
      seed: 0,
      maxTokens: 1024,
      headers: {},
    });
    // The timeout default is tuning, not contract: only check that there is one.
    expect(e.llm.timeoutSeconds).toBeGreaterThan(0);
    expect(e.llm.model).toBeUndefined();
    expect(e.llm.baseURL).toBeUndefined();
    // Batch mode is off unless asked for; its rounds and longest poll have defaults.
    expect(e.llm).toMatchObject({ batch: false, batchRounds: 3, batchPollSeconds: 60 });
    expect(e.llm.batchApi).toBeUndefined();
    expect(e.llm.batchMaxRequests).toBeUndefined();
    expect(e.train).toEqual({
      seeds: [1, 2, 3],
      finalMix: 'gold+silver+bronze',
      classifier: 'logreg',
      validationShare: 0.2,
      encoder: 'minilm',
    });
    expect(e.evaluate.mixes).toEqual(['gold', 'gold+silver', 'gold+bronze']);

    // Taxonomy facts travel with the experiment.
    expect(e.labels).toHaveLength(8);
    expect(e.labels).toContain('dementia_treatment');
    expect(e.taxonomyVersion).toBe('ad-signs-symptoms@1');
  });

  it('is JSON-serialisable and carries no secrets (workflow input)', () => {
    const dir = tempProject();
    const e = loadExperiment(
      write(
        dir,
        withLines({
          12: ['  provider: openai', '  baseURL: http://127.0.0.1:9/v1', '  model: m', '  apiKeyEnv: MY_KEY'],
        }),
      ),
    );
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
    expect(e.llm.apiKeyEnv).toBe('MY_KEY');
  });

  it('loads the shipped demo experiment', () => {
    const e = loadExperiment(join(PROJECT_ROOT, 'examples/demo/experiment.yaml'));
    expect(e.name).toBe('demo-ad');
    expect(e.gold.path).toBe(join(PROJECT_ROOT, 'examples/demo/data/gold.jsonl'));
    expect(e.evaluate.folds).toBe(5);
    expect(e.evaluate.curves).toEqual({ synthetic: [0.5, 1], gold: [0.5, 1] });
    expect(e.taxonomy).toBe(TAXONOMY);
    expect(e.output).toBe(join(PROJECT_ROOT, 'runs'));
  });
});

describe('loadExperiment: rejections carry line and key path', () => {
  it('unknown top-level key', () => {
    const { file, problems } = rejects(withLines({ 19: ['output: out/', 'outptu: other/'] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: 20, key: 'outptu' });
    expect(problems[0]!.message).toMatch(/unknown key/);
  });

  it('unknown nested key (typo batchsize)', () => {
    const { problems } = rejects(withLines({ 10: '  batchsize: 4' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 10, key: 'silver.batchsize' });
    expect(problems[0]!.message).toMatch(/unknown key.*spelling/);
  });

  it('wrong type (concurrency: "eight")', () => {
    const { problems } = rejects(withLines({ 13: '  concurrency: "eight"' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 13, key: 'llm.concurrency' });
    expect(problems[0]!.message).toMatch(/number/);
  });

  it('bad mix name', () => {
    const { problems } = rejects(withLines({ 17: '    - gold+platinum', 18: '    - gold+gold' }));
    expect(problems.map((p) => [p.line, p.key])).toEqual([
      [17, 'evaluate.mixes.1'],
      [18, 'evaluate.mixes.2'],
    ]);
    expect(problems[0]!.message).toMatch(/sources joined by \+/);
    expect(problems[1]!.message).toMatch(/twice/);
  });

  it('mix using a disabled source', () => {
    const { problems } = rejects(withLines({ 19: ['output: out/', 'bronze:', '  enabled: false'] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 18, key: 'evaluate.mixes.2' });
    expect(problems[0]!.message).toMatch(/gold\+bronze.*bronze.*disabled/);
  });

  it('review: reviewed rows in a mix need review.enabled; reasons are checked; something must be there to review', () => {
    const off = rejects(withLines({ 18: ['    - gold+bronze', '    - gold+reviewed'] }));
    expect(off.problems).toHaveLength(1);
    expect(off.problems[0]).toMatchObject({ line: 19, key: 'evaluate.mixes.3' });
    expect(off.problems[0]!.message).toBe(
      'mix "gold+reviewed" uses reviewed, which is disabled (reviewed rows need review.enabled: true)',
    );
    const unknown = rejects(
      withLines({ 19: ['output: out/', 'review:', '  enabled: true', '  select: [disagreement, gut-feeling]'] }),
    );
    expect(unknown.problems.map((p) => [p.line, p.key])).toEqual([[22, 'review.select.1']]);
    expect(unknown.problems[0]!.message).toMatch(/selfcheck-fix.*low-confidence/);
    const twice = rejects(
      withLines({
        19: ['output: out/', 'review:', '  enabled: true', '  select:', '    - disagreement', '    - disagreement'],
      }),
    );
    expect(twice.problems).toEqual([
      expect.objectContaining({ line: 23, key: 'review.select', message: 'a reason appears twice' }),
    ]);
    const final = rejects(withLines({ 19: ['output: out/', 'train:', '  finalMix: gold+reviewed'] }));
    expect(final.problems).toEqual([
      expect.objectContaining({
        line: 21,
        key: 'train.finalMix',
        message: 'mix "gold+reviewed" uses reviewed rows, which need review.enabled: true',
      }),
    ]);
    const nothing = rejects(
      withLines({
        9: '  enabled: false',
        16: '    - gold',
        17: [],
        18: [],
        19: ['output: out/', 'bronze: { enabled: false }', 'review:', '  enabled: true'],
      }),
    );
    expect(nothing.problems).toEqual([
      expect.objectContaining({
        line: 20,
        key: 'review.enabled',
        message: 'nothing to review: silver and bronze are both disabled',
      }),
    ]);
  });

  it('review: defaults off, and a review with reviewed mixes validates', () => {
    const dir = tempProject();
    expect(loadExperiment(write(dir, withLines({}))).review).toEqual({
      enabled: false,
      max: 200,
      select: ['selfcheck-fix', 'selfcheck-reject', 'disagreement', 'low-confidence'],
    });
    const e = loadExperiment(
      write(
        dir,
        withLines({
          18: ['    - gold+bronze', '    - gold+reviewed', '    - gold+silver+reviewed'],
          19: ['output: out/', 'review: { enabled: true, max: 50, select: [low-confidence] }'],
        }),
      ),
    );
    expect(e.review).toEqual({ enabled: true, max: 50, select: ['low-confidence'] });
    expect(e.evaluate.mixes).toEqual(['gold', 'gold+silver', 'gold+bronze', 'gold+reviewed', 'gold+silver+reviewed']);
    // The Temporal UI's static details say that the run will wait for reviewers (and nothing when review is off).
    expect(experimentDetails(e)).toContain(
      '| human review | up to 50 rows (low-confidence); the run waits for `clinsynth review import\\|skip` |',
    );
    expect(experimentDetails(loadExperiment(write(dir, withLines({}))))).not.toContain('human review');
  });

  it('provider openai without baseURL and model', () => {
    const { problems } = rejects(withLines({ 12: '  provider: openai' }));
    expect(problems.map((p) => p.key).sort()).toEqual(['llm.baseURL', 'llm.model']);
    for (const p of problems) {
      // Points into the llm block (the deepest node that exists).
      expect(p.line).toBe(12);
      expect(p.message).toMatch(/required when provider is openai/);
    }
  });

  it('missing gold file', () => {
    const { problems } = rejects(withLines({ 4: '  train: data/nope.jsonl' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 4, key: 'gold.train' });
    expect(problems[0]!.message).toMatch(/data\/nope\.jsonl does not exist/);
  });

  it('a directory instead of a file', () => {
    const { problems } = rejects(withLines({ 5: '  test: data' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 5, key: 'gold.test' });
    expect(problems[0]!.message).toMatch(/is a directory/);
  });

  it('test set equal to the training set (also when spelled differently)', () => {
    const { problems } = rejects(withLines({ 5: '  test: ./data/../data/train.jsonl' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 5, key: 'gold.test' });
    expect(problems[0]!.message).toMatch(/test set must not be the training set/);
  });

  it('several problems are reported together', () => {
    const { problems } = rejects(withLines({ 4: '  train: data/nope.jsonl', 7: '  path: data/missing.jsonl' }));
    expect(problems.map((p) => [p.line, p.key])).toEqual([
      [4, 'gold.train'],
      [7, 'corpus.path'],
    ]);
  });

  it('YAML syntax error, at the line of the error', () => {
    const { file, problems } = rejects(withLines({ 13: '\tconcurrency: 2' }));
    expect(problems[0]).toMatchObject({ file, line: 13, key: '' });
    expect(problems[0]!.message).toMatch(/^YAML syntax: /);
  });

  it('YAML syntax error deeper in the file', () => {
    const { problems } = rejects(withLines({ 16: '    - [gold', 17: '    - gold+silver: : x' }));
    expect(problems[0]!.line).toBeGreaterThanOrEqual(16);
    expect(problems[0]!.message).toMatch(/^YAML syntax: /);
  });

  it('empty file', () => {
    const { file, problems } = rejects('');
    expect(problems).toEqual([{ file, line: 1, key: '', message: 'file is empty' }]);
    // Only comments is empty too.
    expect(rejects('# nothing here\n').problems[0]!.message).toBe('file is empty');
  });

  it('non-UTF-8 bytes, at the line holding them', () => {
    const text = Buffer.concat([
      Buffer.from('name: t-exp\n# caf'),
      Buffer.from([0xe9, 0x0a]),
      Buffer.from('taxonomy: x\n'),
    ]);
    const { file, problems } = rejects(text);
    expect(problems).toEqual([{ file, line: 2, key: '', message: 'not valid UTF-8 text' }]);
  });

  it('duplicate YAML keys', () => {
    const { problems } = rejects(withLines({ 13: ['  concurrency: 2', '  concurrency: 4'] }));
    expect(problems[0]).toMatchObject({ line: 14, key: '' });
    expect(problems[0]!.message).toMatch(/unique/);
  });

  it('apiKeyEnv that looks like a key is rejected without echoing it', () => {
    const key = 'sk-proj-AbCdEf0123456789';
    const { problems } = rejects(withLines({ 13: ['  concurrency: 2', `  apiKeyEnv: ${key}`] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 14, key: 'llm.apiKeyEnv' });
    expect(problems[0]!.message).toMatch(/NAME of an environment variable/);
    expect(formatProblem(problems[0]!)).not.toContain(key);
  });

  it('the experiment file itself missing or a directory', () => {
    const dir = tempProject();
    const missing = join(dir, 'nope.yaml');
    expect(problemsOf(() => loadExperiment(missing))).toEqual([
      { file: missing, line: 0, key: '', message: 'file does not exist' },
    ]);
    expect(problemsOf(() => loadExperiment(join(dir, 'data')))[0]!.message).toMatch(/is a directory/);
  });
});

describe('structured-file and problems', () => {
  it('formatProblem gives file:line: key.path: message, (root) for no key', () => {
    expect(formatProblem({ file: '/x/e.yaml', line: 7, key: 'llm.concurrency', message: 'expected a number' })).toBe(
      '/x/e.yaml:7: llm.concurrency: expected a number',
    );
    expect(formatProblem({ file: 'e.yaml', line: 1, key: '', message: 'file is empty' })).toBe(
      'e.yaml:1: (root): file is empty',
    );
  });

  it('InputError message lists every problem, one per line', () => {
    const { file, problems } = rejects(withLines({ 4: '  train: data/nope.jsonl', 10: '  batchSize: 0' }));
    // Schema problems stop before the file checks: only batchSize is reported.
    expect(problems).toHaveLength(1);
    const err = new InputError([...problems, { file, line: 3, key: 'gold', message: 'x' }]);
    expect(err.message.split('\n')).toEqual([formatProblem(problems[0]!), `${file}:3: gold: x`]);
    expect(err.name).toBe('InputError');
  });

  it('readTextFile and parseYamlFile read good input', () => {
    const dir = tempProject();
    const file = write(dir, 'a: 1\nb: [x, "é"]\n', 'x.yaml');
    expect(readTextFile(file)).toBe('a: 1\nb: [x, "é"]\n');
    expect(parseYamlFile(file).value).toEqual({ a: 1, b: ['x', 'é'] });
  });
});

describe('loadExperiment: gold as one file split by note', () => {
  it('accepts gold.path with a share and seed, and refuses it together with train/test', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clinsynth-goldpath-'));
    const gold = join(PROJECT_ROOT, 'examples', 'demo', 'data', 'gold-train.jsonl');
    const base = `name: gp\ntaxonomy: ${join(PROJECT_ROOT, 'taxonomy', 'ad-signs-symptoms.yaml')}\nsilver: { enabled: false }\n`;
    writeFileSync(join(dir, 'ok.yaml'), `${base}gold:\n  path: ${gold}\n  testShare: 0.3\n`);
    const e = loadExperiment(join(dir, 'ok.yaml'));
    expect(e.gold).toEqual({ path: gold, testShare: 0.3, splitSeed: 1 });
    writeFileSync(join(dir, 'both.yaml'), `${base}gold:\n  path: ${gold}\n  train: ${gold}\n  test: ${gold}\n`);
    expect(() => loadExperiment(join(dir, 'both.yaml'))).toThrow(/both.yaml:5: gold.path: give either gold.path/);
    writeFileSync(join(dir, 'none.yaml'), `${base}gold:\n  testShare: 0.3\n`);
    expect(() => loadExperiment(join(dir, 'none.yaml'))).toThrow(/gold.train: required/);
  });
});

describe('problems found after loading keep the line of the file loadExperiment read', () => {
  it("preflight's folds problem names the line from the load, and re-reads the file only for a copy", async () => {
    const dir = tempProject();
    // gold.path with one note, `folds: 3` on line 14.
    const text = withLines({ 4: '  path: data/train.jsonl', 5: [], 14: ['evaluate:', '  folds: 3'] });
    const file = write(dir, text);
    const experiment = loadExperiment(file);
    write(dir, '\n\n\n' + text); // the file changes after loading: folds is on line 17 now
    const linesOf = async (e: typeof experiment) => {
      try {
        await preflight(e);
      } catch (err) {
        return (err as InputError).problems.filter((p) => p.key === 'evaluate.folds').map((p) => p.line);
      }
      return [];
    };
    expect(await linesOf(experiment)).toEqual([14]);
    expect(await linesOf(structuredClone(experiment))).toEqual([17]);
  });
});
