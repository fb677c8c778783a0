// The label taxonomy: loading, validation (unique ids, known labels in examples) and a prompt-ready guideline.
import { z } from 'zod';
import { loadYaml, lineOfPath } from './structured-file.js';
import { InputError, type Problem } from './problems.js';

const labelId = z.string().regex(/^[a-z][a-z0-9_]*$/, 'label id must be lower_snake_case');

const labelSchema = z.strictObject({
  id: labelId,
  name: z.string().trim().min(1, 'must not be empty'),
  definition: z.string().trim().min(10, 'definition must be a real sentence'),
  cues: z.array(z.string().trim().min(1)).default([]),
});

export const taxonomySchema = z.strictObject({
  id: z.string().min(1),
  version: z.union([z.string(), z.number()]).transform(String),
  unit: z.literal('sentence').default('sentence'),
  noneLabel: z.string().default('none'),
  labels: z.array(labelSchema).min(1, 'at least one label is required'),
  rules: z.array(z.string().trim().min(1)).default([]),
  examples: z.array(z.strictObject({ text: z.string().trim().min(1), labels: z.array(z.string()) })).default([]),
});

export type Taxonomy = z.output<typeof taxonomySchema>;
export type TaxonomyLabel = Taxonomy['labels'][number];

export function loadTaxonomy(file: string): Taxonomy {
  const { data, parsed } = loadYaml(file, taxonomySchema);
  const problems: Problem[] = [];
  const seen = new Set<string>();
  data.labels.forEach((label, i) => {
    if (seen.has(label.id)) {
      problems.push({
        file,
        line: lineOfPath(parsed, ['labels', i, 'id']),
        key: `labels.${i}.id`,
        message: `duplicate label id "${label.id}"`,
      });
    }
    seen.add(label.id);
    if (label.id === data.noneLabel) {
      problems.push({
        file,
        line: lineOfPath(parsed, ['labels', i, 'id']),
        key: `labels.${i}.id`,
        message: `"${label.id}" is the none label and cannot be a label`,
      });
    }
  });
  data.examples.forEach((ex, i) => {
    ex.labels.forEach((l, j) => {
      if (!seen.has(l)) {
        problems.push({
          file,
          line: lineOfPath(parsed, ['examples', i, 'labels', j]),
          key: `examples.${i}.labels.${j}`,
          message: `unknown label "${l}"`,
        });
      }
    });
  });
  if (problems.length) throw new InputError(problems);
  return data;
}

export function labelIds(taxonomy: Taxonomy): string[] {
  return taxonomy.labels.map((l) => l.id);
}

/** The annotation guideline as plain text, sent once per LLM call. */
export function guidelineText(taxonomy: Taxonomy): string {
  const labels = taxonomy.labels
    .map((l) => `- ${l.id} (${l.name}): ${l.definition} Cues: ${l.cues.join(', ')}.`)
    .join('\n');
  const rules = taxonomy.rules.map((r, i) => `${i + 1}. ${r}`).join('\n');
  const examples = taxonomy.examples
    .map((e) => `- "${e.text}" -> ${e.labels.length ? e.labels.join(', ') : '(no labels)'}`)
    .join('\n');
  return [
    `Labels (a sentence gets zero or more; none of them = empty list):\n${labels}`,
    rules && `Rules:\n${rules}`,
    examples && `Examples:\n${examples}`,
  ]
    .filter(Boolean)
    .join('\n\n');
}
