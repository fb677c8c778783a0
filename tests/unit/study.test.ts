// Experiment overrides (key paths, `overrides.<key>` problems) and the study file: schema, grid, zip, variant ids, errors.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExperiment } from '../../lib/config/load-experiment.js';
import { InputError, formatProblem } from '../../lib/config/problems.js';
import { loadStudy, studyGrid, variantIds } from '../../lib/config/study.js';
import { experimentDetails, experimentSummary } from '../../lib/run/summaries.js';
import { writeTestExperiment } from '../support/experiments.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e.problems.map(formatProblem);
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('experiment overrides', () => {
  const { file } = writeTestExperiment({ name: 'ovr', llm: { baseURL: 'http://127.0.0.1:9/v1' } });

  it('replace values by key path before validation, creating sections on the way', () => {
    const e = loadExperiment(file, { 'bronze.perLabel': 7, 'train.classifier': 'mlp', 'evaluate.curves.gold': [0.5] });
    expect(e.bronze.perLabel).toBe(7);
    expect(e.bronze.perCall).toBe(3); // the rest of the section stays
    expect(e.train.classifier).toBe('mlp');
    expect(e.evaluate.curves.gold).toEqual([0.5]);
    expect(loadExperiment(file).bronze.perLabel).toBe(3);
  });

  it('report a bad overridden value as overrides.<key>, and file problems still with their line', () => {
    expect(problems(() => loadExperiment(file, { 'bronze.perLabel': 'many' }))).toEqual([
      `${file}: overrides.bronze.perLabel: Invalid input: expected number, received string`,
    ]);
    expect(problems(() => loadExperiment(file, { 'bronze.perLable': 5 }))[0]).toMatch(
      /overrides\.bronze\.perLable: unknown key/,
    );
    expect(problems(() => loadExperiment(file, { 'name.x': 1 }))[0]).toMatch(
      /overrides\.name\.x: name is not a section/,
    );
    expect(problems(() => loadExperiment(file, { 'bad key': 1 }))[0]).toMatch(/overrides\.bad key: a key path/);
    const dir = mkdtempSync(join(tmpdir(), 'clinsynth-ovr-'));
    const broken = join(dir, 'e.yaml');
    writeFileSync(
      broken,
      `name: ok\ntaxonomy: nowhere.yaml\ngold: { train: a, test: b }\nsilver: { enabled: false }\n`,
    );
    const p = problems(() => loadExperiment(broken, { 'train.classifier': 'svm' }));
    expect(p).toContain(`${broken}: overrides.train.classifier: Invalid option: expected one of "logreg"|"mlp"`);
  });
});

describe('study file', () => {
  it('grid: every combination, first key slowest; zip: pairwise', () => {
    expect(studyGrid({ a: [1, 2], b: ['x', 'y'] }, false)).toEqual([
      { a: 1, b: 'x' },
      { a: 1, b: 'y' },
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
    ]);
    expect(studyGrid({ a: [1, 2], b: ['x', 'y'] }, true)).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
    ]);
  });

  it('variant ids are short and readable, and unique', () => {
    const vary = { 'bronze.perLabel': [5, 10], 'train.classifier': ['logreg', 'mlp'] };
    expect(variantIds(vary, studyGrid(vary, false))).toEqual([
      'perLabel-5.classifier-logreg',
      'perLabel-5.classifier-mlp',
      'perLabel-10.classifier-logreg',
      'perLabel-10.classifier-mlp',
    ]);
    const clash = {
      'silver.batchSize': [4],
      'selfCheck.batchSize': [8],
      'evaluate.mixes': [['gold'], ['gold', 'gold+silver']],
    };
    expect(variantIds(clash, studyGrid(clash, false))).toEqual([
      'silver_batchSize-4.selfCheck_batchSize-8.mixes-1',
      'silver_batchSize-4.selfCheck_batchSize-8.mixes-2',
    ]);
  });

  it('loads every variant as the base experiment with its values', () => {
    const { file, dir } = writeTestExperiment({ name: 'base-exp', llm: { baseURL: 'http://127.0.0.1:9/v1' } });
    const sf = join(dir, 'study.yaml');
    writeFileSync(
      sf,
      `name: sweep\nbase: ${file}\nvary:\n  bronze.perLabel: [5, 10]\n  train.classifier: [logreg, mlp]\noutput: out/\n`,
    );
    const s = loadStudy(sf);
    expect(s.concurrency).toBe(2);
    expect(s.studyDir).toBe(join(dir, 'out', 'sweep'));
    expect(s.variants.map((v) => [v.id, v.runId, v.experiment.bronze.perLabel, v.experiment.train.classifier])).toEqual(
      [
        ['perLabel-5.classifier-logreg', 'sweep-perLabel-5.classifier-logreg', 5, 'logreg'],
        ['perLabel-5.classifier-mlp', 'sweep-perLabel-5.classifier-mlp', 5, 'mlp'],
        ['perLabel-10.classifier-logreg', 'sweep-perLabel-10.classifier-logreg', 10, 'logreg'],
        ['perLabel-10.classifier-mlp', 'sweep-perLabel-10.classifier-mlp', 10, 'mlp'],
      ],
    );
    expect(s.variants[0]!.runDir).toBe(join(dir, 'out', 'sweep', 'perLabel-5.classifier-logreg'));
    // The UI texts carry settings and references, never sentences.
    const e = s.variants[3]!.experiment;
    expect(experimentSummary(e, { study: 'sweep', id: s.variants[3]!.id })).toBe(
      'sweep / perLabel-10.classifier-mlp: base-exp · fake-model · ad-signs-symptoms@1',
    );
    expect(experimentDetails(e, s.variants[3]!.values)).toContain('| **train.classifier** (varied) | "mlp" |');
  });

  it('the example study of the demo is valid: 4 variants', () => {
    const s = loadStudy(join(PROJECT_ROOT, 'examples/studies/demo-sweep.yaml'));
    expect(s.variants.map((v) => v.id)).toEqual([
      'perLabel-5.classifier-logreg',
      'perLabel-5.classifier-mlp',
      'perLabel-10.classifier-logreg',
      'perLabel-10.classifier-mlp',
    ]);
    expect(s.studyDir).toBe(join(PROJECT_ROOT, 'runs', 'demo-sweep'));
  });

  it('the example prompt study: templates by file stem, paths from the study folder, the baseline arm first', () => {
    const file = join(PROJECT_ROOT, 'examples/studies/prompt-study.yaml');
    const s = loadStudy(file);
    expect(s.variants.map((v) => v.id)).toEqual([
      'silver-silver.rationale-false',
      'silver-silver.rationale-true',
      'silver-terse.rationale-false',
      'silver-terse.rationale-true',
    ]);
    expect(s.baseline).toBe('silver-silver.rationale-false');
    const terse = s.variants.find((v) => v.id === 'silver-terse.rationale-true')!;
    expect(terse.values).toEqual({ 'prompts.silver': 'prompts/terse.njk', 'silver.rationale': true });
    expect(terse.experiment.prompts.silver).toBe(join(PROJECT_ROOT, 'examples/studies/prompts/terse.njk'));
    expect(terse.experiment.silver.rationale).toBe(true);
    expect(s.variants[0]!.experiment.prompts.silver).toBe(join(PROJECT_ROOT, 'prompts/silver'));

    const dir = mkdtempSync(join(tmpdir(), 'clinsynth-prompt-study-'));
    const named = join(dir, 'named.yaml');
    const base = join(PROJECT_ROOT, 'examples/demo/experiment.yaml');
    const vary = `vary:\n  prompts.silver: [${join(PROJECT_ROOT, 'prompts/silver')}, ${join(PROJECT_ROOT, 'examples/studies/prompts/terse.njk')}]\n`;
    writeFileSync(named, `name: named\nbase: ${base}\n${vary}baseline: silver-terse\n`);
    expect(loadStudy(named).variants.map((v) => v.id)).toEqual(['silver-terse', 'silver-silver']);
    const unknown = join(dir, 'unknown.yaml');
    writeFileSync(unknown, `name: unknown\nbase: ${base}\n${vary}baseline: silver-long\n`);
    expect(problems(() => loadStudy(unknown))).toEqual([
      `${unknown}:5: baseline: no variant "silver-long"; the variants are silver-silver, silver-terse`,
    ]);
  });

  it('rejects bad study files with file:line: key problems', () => {
    const { file, dir } = writeTestExperiment({ name: 'base-exp', llm: { baseURL: 'http://127.0.0.1:9/v1' } });
    const sf = join(dir, 'bad-study.yaml');
    writeFileSync(sf, `name: bad name\nbase: ${file}\nvary:\n  bronze.perLabel: []\nconcurrency: 0\ncolour: red\n`);
    const p = problems(() => loadStudy(sf));
    expect(p).toContain(`${sf}:1: name: letters, digits, . _ - only, at most 64 (it names the workflows)`);
    expect(p.some((l) => l.startsWith(`${sf}:4: vary.bronze.perLabel: give at least one value`))).toBe(true);
    expect(p.some((l) => l.startsWith(`${sf}:5: concurrency:`))).toBe(true);
    expect(p.some((l) => l.startsWith(`${sf}:6: colour: unknown key`))).toBe(true);

    writeFileSync(
      sf,
      `name: s\nbase: ${file}\nzip: true\nvary:\n  bronze.perLabel: [5, many]\n  train.classifier: [logreg]\n`,
    );
    const q = problems(() => loadStudy(sf));
    expect(q.some((l) => l.startsWith(`${sf}:5: vary: with zip: true every list needs the same length`))).toBe(true);

    writeFileSync(
      sf,
      `name: s\nbase: ${file}\nvary:\n  bronze.perLabel:\n    - 5\n    - many\n  train.classifer: [mlp]\n`,
    );
    const r = problems(() => loadStudy(sf));
    expect(r).toContain(
      `${sf}:6: vary.bronze.perLabel: "many": bronze.perLabel: Invalid input: expected number, received string`,
    );
    expect(r.some((l) => l.startsWith(`${sf}:7: vary.train.classifer: "mlp": train.classifer: unknown key`))).toBe(
      true,
    );

    writeFileSync(sf, `name: s\nbase: missing.yaml\nvary:\n  bronze.perLabel: [5]\n`);
    expect(problems(() => loadStudy(sf))).toEqual([`${sf}:2: base: missing.yaml does not exist`]);
  });
});
