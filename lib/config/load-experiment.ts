// Loads an experiment file: the YAML, overrides by key path, the schema, then the checks across fields and against
// the files it names (paths made absolute, mixes runnable, labels known), all problems as `file:line: key`.
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseYamlFile, lineOfPath, zodProblems, type ParsedYaml } from './structured-file.js';
import { InputError, type Problem } from './problems.js';
import { loadTaxonomy, labelIds } from './taxonomy.js';
import { encoderProblem, resolveEncoderSpec } from './encoders.js';
import { KEY_PATH, KEY_PATH_MESSAGE, setKeyPath } from './key-paths.js';
import {
  experimentSchema,
  mixSources,
  sourceEnabled,
  type Experiment,
  type ExperimentFile,
  type ExperimentOverrides,
  type MixSource,
} from './experiment.js';

/**
 * Loads and checks an experiment file. `overrides` replace keys (by key path) before validation; a problem with
 * an overridden value is reported as `overrides.<key path>` instead of a line of the file.
 */
export function loadExperiment(file: string, overrides: ExperimentOverrides = {}): Experiment {
  const absFile = resolve(file);
  const keys = Object.keys(overrides);
  const badKeys = keys.filter((k) => !KEY_PATH.test(k));
  if (badKeys.length)
    throw new InputError(
      badKeys.map((k) => ({ file: absFile, line: 0, key: `overrides.${k}`, message: KEY_PATH_MESSAGE })),
    );
  const fromOverride = (p: Problem): Problem =>
    keys.some((k) => p.key === k || p.key.startsWith(k + '.'))
      ? { file: absFile, line: 0, key: `overrides.${p.key}`, message: p.message }
      : p;
  try {
    return loadChecked(absFile, overrides);
  } catch (e) {
    if (e instanceof InputError && keys.length) throw new InputError(e.problems.map(fromOverride));
    throw e;
  }
}

function loadChecked(absFile: string, overrides: ExperimentOverrides): Experiment {
  const parsed = parseYamlFile(absFile);
  const value: unknown = Object.keys(overrides).length ? structuredClone(parsed.value) : parsed.value;
  if (Object.keys(overrides).length) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new InputError([{ file: absFile, line: 1, key: '', message: 'expected a mapping of keys' }]);
    const bad: Problem[] = [];
    for (const [k, v] of Object.entries(overrides)) {
      const why = setKeyPath(value as Record<string, unknown>, k, v);
      if (why) bad.push({ file: absFile, line: 0, key: k, message: why });
    }
    if (bad.length) throw new InputError(bad);
  }
  const result = experimentSchema.safeParse(value);
  if (!result.success) throw new InputError(zodProblems(result.error, absFile, (p) => lineOfPath(parsed, p)));
  const data = result.data;
  const base = dirname(absFile);
  const at = (path: PropertyKey[]) => lineOfPath(parsed, path);
  const problems: Problem[] = [];
  const mustBeFile = (rel: string, path: string[]): string => {
    const abs = resolve(base, rel);
    if (!existsSync(abs)) {
      const hint = /(^|\/)shared\//.test(rel)
        ? " (the project's shared data folder is expected beside the checkout, at ../shared)"
        : '';
      problems.push({ file: absFile, line: at(path), key: path.join('.'), message: `${rel} does not exist${hint}` });
    } else if (statSync(abs).isDirectory())
      problems.push({
        file: absFile,
        line: at(path),
        key: path.join('.'),
        message: `${rel} is a directory, expected a file`,
      });
    return abs;
  };
  const taxonomy = mustBeFile(data.taxonomy, ['taxonomy']);
  const g = data.gold;
  const gold: ExperimentFile['gold'] = { testShare: g.testShare, splitSeed: g.splitSeed };
  if (g.path !== undefined) {
    if (g.train !== undefined || g.test !== undefined)
      problems.push({
        file: absFile,
        line: at(['gold', 'path']),
        key: 'gold.path',
        message: 'give either gold.path (split by note) or gold.train and gold.test, not both',
      });
    gold.path = mustBeFile(g.path, ['gold', 'path']);
  } else if (g.train === undefined || g.test === undefined) {
    problems.push({
      file: absFile,
      line: at(['gold']),
      key: g.train === undefined ? 'gold.train' : 'gold.test',
      message: 'required (or give gold.path to split one file by note)',
    });
  } else {
    gold.train = mustBeFile(g.train, ['gold', 'train']);
    gold.test = mustBeFile(g.test, ['gold', 'test']);
    if (gold.train === gold.test)
      problems.push({
        file: absFile,
        line: at(['gold', 'test']),
        key: 'gold.test',
        message: 'the test set must not be the training set',
      });
  }
  const corpus = data.corpus ? { ...data.corpus, path: mustBeFile(data.corpus.path, ['corpus', 'path']) } : undefined;
  for (const stage of ['silver', 'bronze', 'selfCheck'] as const) {
    const rel = data.prompts[stage];
    if (rel === undefined) continue;
    const abs = resolve(base, rel);
    if (!existsSync(abs))
      problems.push({
        file: absFile,
        line: at(['prompts', stage]),
        key: `prompts.${stage}`,
        message: `${rel} does not exist`,
      });
    data.prompts[stage] = abs;
  }

  if (data.silver.examples !== undefined)
    data.silver.examples = mustBeFile(data.silver.examples, ['silver', 'examples']);
  for (const key of ['shots', 'selectExamples'] as const)
    if (data.silver[key] !== undefined && data.silver.examples === undefined)
      problems.push({
        file: absFile,
        line: at(['silver', key]),
        key: `silver.${key}`,
        message: 'needs silver.examples (the file of labelled example sentences)',
      });
  if (data.silver.enabled && !corpus)
    problems.push({
      file: absFile,
      line: at(['silver']),
      key: 'corpus',
      message: 'silver is enabled but no corpus is given',
    });
  const sourceOn = (s: MixSource) => sourceEnabled(data, s);
  // Default mixes leave out the sources of disabled stages; mixes the user wrote must all be runnable.
  const mixesGiven = (value as { evaluate?: { mixes?: unknown } }).evaluate?.mixes !== undefined;
  if (!mixesGiven) data.evaluate.mixes = data.evaluate.mixes.filter((m) => mixSources(m).every(sourceOn));
  data.evaluate.mixes.forEach((m, i) => {
    const off = mixSources(m).filter((s) => !sourceOn(s));
    const why = off.includes('reviewed') ? ` (reviewed rows need review.enabled: true)` : '';
    if (off.length)
      problems.push({
        file: absFile,
        line: at(['evaluate', 'mixes', i]),
        key: `evaluate.mixes.${i}`,
        message: `mix "${m}" uses ${off.join(', ')}, which is disabled${why}`,
      });
  });
  if (mixSources(data.train.finalMix).includes('reviewed') && !data.review.enabled) {
    problems.push({
      file: absFile,
      line: at(['train', 'finalMix']),
      key: 'train.finalMix',
      message: `mix "${data.train.finalMix}" uses reviewed rows, which need review.enabled: true`,
    });
  }
  if (data.review.enabled && !data.silver.enabled && !data.bronze.enabled) {
    problems.push({
      file: absFile,
      line: at(['review', 'enabled']),
      key: 'review.enabled',
      message: 'nothing to review: silver and bronze are both disabled',
    });
  }
  const ev = data.evaluate;
  if (!ev.mixes.includes(ev.baseline)) {
    const baselineGiven = (value as { evaluate?: { baseline?: unknown } }).evaluate?.baseline !== undefined;
    // The default baseline (gold) is only compared with when the experiment evaluates it.
    if (baselineGiven)
      problems.push({
        file: absFile,
        line: at(['evaluate', 'baseline']),
        key: 'evaluate.baseline',
        message: `mix "${ev.baseline}" is not in evaluate.mixes (${ev.mixes.join(', ')})`,
      });
  }
  const foldsGiven = (value as { evaluate?: { folds?: unknown } }).evaluate?.folds !== undefined;
  if (g.path === undefined) {
    if (foldsGiven && ev.folds > 1)
      problems.push({
        file: absFile,
        line: at(['evaluate', 'folds']),
        key: 'evaluate.folds',
        message: 'folds need one gold file (gold.path); gold.train + gold.test make one fold',
      });
    ev.folds = 1;
  }
  if (data.llm.provider === 'openai') {
    for (const key of ['baseURL', 'model'] as const)
      if (!data.llm[key])
        problems.push({
          file: absFile,
          line: at(['llm']),
          key: `llm.${key}`,
          message: 'required when provider is openai',
        });
  } else {
    if (data.llm.batch)
      problems.push({
        file: absFile,
        line: at(['llm', 'batch']),
        key: 'llm.batch',
        message:
          'a batch API needs provider openai (an OpenAI or Azure OpenAI endpoint with /v1/files and /v1/batches)',
      });
    if (data.llm.model) {
      const abs = resolve(base, data.llm.model);
      if (!existsSync(abs))
        problems.push({
          file: absFile,
          line: at(['llm', 'model']),
          key: 'llm.model',
          message: `local model file ${data.llm.model} does not exist (leave it out for the packaged model)`,
        });
    }
  }
  // The encoder: a packaged name or a directory (relative to this file); absent files fail here, not mid-run.
  const encoderGiven = (parsed.value as { train?: { encoder?: unknown } }).train?.encoder !== undefined;
  data.train.encoder = resolveEncoderSpec(data.train.encoder, base);
  if (encoderGiven) {
    const problem = encoderProblem(data.train.encoder);
    if (problem)
      problems.push({ file: absFile, line: at(['train', 'encoder']), key: 'train.encoder', message: problem });
  }
  const output = resolve(base, data.output);
  if (existsSync(output) && !statSync(output).isDirectory())
    problems.push({
      file: absFile,
      line: at(['output']),
      key: 'output',
      message: `${data.output} is a file, expected a folder`,
    });
  if (problems.length) throw new InputError(problems);

  const tax = loadTaxonomy(taxonomy);
  const labels = labelIds(tax);
  data.bronze.combos.forEach((combo, i) =>
    combo.forEach((l, j) => {
      if (!labels.includes(l))
        problems.push({
          file: absFile,
          line: at(['bronze', 'combos', i, j]),
          key: `bronze.combos.${i}.${j}`,
          message: `unknown label "${l}"`,
        });
    }),
  );
  if (problems.length) throw new InputError(problems);
  const taxonomyVersion = `${tax.id}@${tax.version}`;
  const experiment: Experiment = {
    ...data,
    file: absFile,
    taxonomy,
    gold,
    corpus,
    llm: {
      ...data.llm,
      model: data.llm.provider === 'local' && data.llm.model ? resolve(base, data.llm.model) : data.llm.model,
    },
    output,
    labels,
    taxonomyVersion,
  };
  sources.set(experiment, parsed);
  return experiment;
}

/** The parsed file of each experiment this process loaded (kept beside it, never in it: the experiment stays plain JSON). */
const sources = new WeakMap<Experiment, ParsedYaml>();

/**
 * The line of a key of the file `experiment` was loaded from, for problems found after loading (e.g. preflight's):
 * from the parse loadExperiment kept, so the file is read again only for an experiment that came from elsewhere (a
 * workflow input, experiment.json).
 */
export function experimentLine(experiment: Experiment, path: readonly PropertyKey[]): number {
  return lineOfPath(sources.get(experiment) ?? parseYamlFile(experiment.file), path);
}
