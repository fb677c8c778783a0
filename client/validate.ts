// `clinsynth validate FILE`: checks an experiment or study file and every input it names, starting nothing.
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { parseYamlFile } from '../lib/config/structured-file.js';
import { looksLikeStudy } from '../lib/config/study.js';
import { checkExperiment, checkStudy } from './api.js';
import { oneFile, say } from './cli-args.js';

/** True when the file is a study (it has `base` or `vary`), read without validating it. */
function isStudyFile(file: string): boolean {
  try {
    return looksLikeStudy(parseYamlFile(resolve(file)).value);
  } catch {
    return false; // the experiment loader reports what is wrong with it
  }
}

export async function validateCommand(args: string[]): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
  const file = oneFile(positionals, 'experiment or study file');
  if (isStudyFile(file)) {
    const study = await checkStudy(file);
    say(
      `${study.file}: valid study (${study.variants.length} variants of ${study.base}: ${study.variants.map((v) => v.id).join(', ')})`,
    );
    return 0;
  }
  const experiment = await checkExperiment(file);
  say(
    `${experiment.file}: valid (${experiment.labels.length} labels, taxonomy ${experiment.taxonomyVersion}, mixes ${experiment.evaluate.mixes.join(', ')})`,
  );
  return 0;
}
