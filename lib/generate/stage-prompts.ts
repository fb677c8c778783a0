// Which template and rationale setting each LLM stage of an experiment uses; the checks `validate` runs on them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { RUN_FILES, writeJson, type PromptUsed } from '../run/run-dir.js';
import { basename, join } from 'node:path';
import type { Experiment } from '../config/experiment.js';
import type { Problem } from '../config/problems.js';
import { InputError } from '../config/problems.js';
import type { Taxonomy } from '../config/taxonomy.js';
import { bronzeContext, defaultPrompt, selfCheckContext, silverContext, type PromptChoice } from './prompts.js';
import { examplesVersion } from './examples.js';
import { checkTemplate, loadPrompt, PROMPT_STAGES, type PromptStage, type PromptTemplate } from './templates.js';

/** The template of a stage: the experiment's `prompts.<stage>` or the default (older runs have no `prompts`). */
export function stageTemplate(e: Experiment, stage: PromptStage): PromptTemplate {
  const path = (e.prompts as Experiment['prompts'] | undefined)?.[stage];
  return path === undefined ? defaultPrompt(stage) : loadPrompt(stage, path);
}

/**
 * What renders a stage's requests: its template and whether the answer starts with a rationale. With
 * silver.examples the silver template's version gains `+examples@<hash>` (the examples are part of the prompt).
 */
export function stagePrompt(e: Experiment, stage: PromptStage): PromptChoice {
  const rationale =
    stage === 'silver'
      ? (e.silver.rationale ?? false)
      : stage === 'selfCheck'
        ? (e.selfCheck.rationale ?? false)
        : false;
  const template = stageTemplate(e, stage);
  const extra = stage === 'silver' ? examplesVersion(e) : '';
  return { template: extra ? { ...template, version: template.version + extra } : template, rationale };
}

/** The stages whose templates a run uses (silver, bronze, self-check when enabled). */
export function usedStages(e: Experiment): PromptStage[] {
  return PROMPT_STAGES.filter((s) => (s === 'silver' ? e.silver : s === 'bronze' ? e.bronze : e.selfCheck).enabled);
}

/**
 * Writes the templates a run uses into `<run>/prompts/<stage>/` (system and user files as they were read, so a diff
 * of two runs' folders shows what changed) and their list into `<run>/prompts/prompts.json`.
 */
export function copyPrompts(e: Experiment, runDir: string): PromptUsed[] {
  const used: PromptUsed[] = [];
  for (const stage of usedStages(e)) {
    const t = stageTemplate(e, stage);
    const dir = join(runDir, RUN_FILES.prompts, stage);
    mkdirSync(dir, { recursive: true });
    for (const part of [t.system, t.user]) writeFileSync(join(dir, basename(part.file)), part.source);
    used.push({ stage, name: t.name, hash: t.hash, path: t.path });
  }
  writeJson(join(runDir, RUN_FILES.promptsUsed), used);
  return used;
}

const SAMPLE_TEXTS = ['Sample sentence one about memory.', 'Sample sentence two, unrelated.'];
/** The silver templates are also rendered with one example, so a template that shows examples is checked too. */
const SAMPLE_EXAMPLE = { text: 'A worked example sentence.', labels: [] as string[] };

/**
 * Renders every template the experiment names against sample contexts: syntax errors, unknown variables and a
 * template that never shows the items it must label (silver, self-check) or the labels it must write for (bronze).
 */
export function checkPrompts(e: Experiment, taxonomy: Taxonomy): Problem[] {
  const problems: Problem[] = [];
  const first = taxonomy.labels[0]!.id;
  for (const stage of PROMPT_STAGES) {
    let t: PromptTemplate;
    try {
      t = stageTemplate(e, stage);
    } catch (err) {
      if (err instanceof InputError) problems.push(...err.problems);
      else throw err;
      continue;
    }
    const items = SAMPLE_TEXTS.map((text, i) => ({ id: `x${i}`, text, labels: i === 0 ? [first] : [] }));
    const style = { noteType: 'progress note', speaker: 'clinician', severity: 'mild', abbreviations: 'no' };
    const rationale = stagePrompt(e, stage).rationale;
    const samples =
      stage === 'silver'
        ? [[], [SAMPLE_EXAMPLE]].map((examples) => ({
            context: silverContext(taxonomy, items, rationale, examples),
            mustContain: SAMPLE_TEXTS,
          }))
        : stage === 'bronze'
          ? [
              { context: bronzeContext(taxonomy, { labels: [first], count: 3, style }), mustContain: [first] },
              { context: bronzeContext(taxonomy, { labels: [], count: 2, style }), mustContain: [] },
            ]
          : (['silver', 'bronze'] as const).map((set) => ({
              context: selfCheckContext(taxonomy, set, items, rationale),
              mustContain: SAMPLE_TEXTS,
            }));
    problems.push(...checkTemplate(t, samples));
  }
  return problems;
}
