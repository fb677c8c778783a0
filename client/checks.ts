// Checks an experiment or study file and the inputs it names before any server or workflow is touched; the run id
// an experiment gets.
import { InputError } from '../lib/config/problems.js';
import { type Experiment, type ExperimentOverrides } from '../lib/config/experiment.js';
import { loadExperiment } from '../lib/config/load-experiment.js';
import { loadStudy, type Study } from '../lib/config/study.js';
import { preflight } from '../lib/corpus/preflight.js';
import { checkPrompts } from '../lib/generate/stage-prompts.js';
import { checkExamples } from '../lib/generate/examples.js';
import { loadTaxonomy } from '../lib/config/taxonomy.js';
import { sensitiveEndpointRefusal } from '../lib/config/privacy.js';

/**
 * Loads and checks an experiment file (with overrides) and its gold and corpus files, before any server or
 * workflow is touched. Throws InputError (`file:line: key: why`) for anything wrong.
 */
export async function checkExperiment(file: string, overrides: ExperimentOverrides = {}): Promise<Experiment> {
  const experiment = loadExperiment(file, overrides);
  await checkInputs(experiment);
  return experiment;
}

async function checkInputs(experiment: Experiment): Promise<void> {
  const refusal = sensitiveEndpointRefusal(experiment);
  if (refusal) throw new InputError([{ file: experiment.file, line: 0, key: 'llm.baseURL', message: refusal }]);
  const prompts = checkPrompts(experiment, loadTaxonomy(experiment.taxonomy));
  if (prompts.length) throw new InputError(prompts);
  await preflight(experiment);
  // silver.examples against the gold, with MiniLM as the leakage screen (the encoder is loaded only for examples).
  const embed = async (texts: string[]) => (await import('../lib/model/embeddings.js')).sharedEmbed(texts);
  const examples = await checkExamples(experiment, embed);
  if (examples.length) throw new InputError(examples);
}

/** Loads and checks a study file and every variant's experiment (the inputs of the base are checked once). */
export async function checkStudy(file: string): Promise<Study> {
  const study = loadStudy(file);
  const seen = new Set<string>();
  for (const v of study.variants) {
    const e = v.experiment;
    const inputs = JSON.stringify([e.gold, e.corpus, e.llm, e.silver, e.selfCheck, e.prompts]);
    if (seen.has(inputs)) continue;
    seen.add(inputs);
    await checkInputs(v.experiment);
  }
  return study;
}

export function runIdFor(experiment: Pick<Experiment, 'name'>, suffix?: string): string {
  return suffix ? `${experiment.name}-${suffix}` : experiment.name;
}
