// Label Studio's formats: the review tasks to import (tasks.json, with the LLM's labels as a prediction), the labelling interface (label-config.xml) and the reading of Label Studio's JSON export.
import { z } from 'zod';
import type { Taxonomy } from '../config/taxonomy.js';
import type { ReviewTaskRow } from '../run/records.js';
import { lineOfPath, parseYamlFile, zodProblems } from '../config/structured-file.js';
import { CONTROLS, isoTime, shown, type Decision, type ParsedDecisions } from './decisions.js';
import { escapeHtml } from '../run/html.js';

/** The `model_version` of the LLM-label prediction, as Label Studio shows it. */
export const PREDICTION_MODEL = 'clinsynth LLM labels';

/**
 * Label Studio's import format: one task per sentence. `data` holds the sentence, its `ref` (the key the import is
 * matched on: Label Studio gives tasks ids of its own), where it comes from and why it was chosen; `predictions` the
 * labels the run would train on without review, as pre-annotations reviewers accept or correct.
 */
export function labelStudioTasks(tasks: readonly ReviewTaskRow[], taxonomy: Pick<Taxonomy, 'noneLabel'>): unknown[] {
  // Where the interface shows a rationale (rationalesShown), every task has the field: '' for a row without one.
  const shows = rationalesShown(tasks);
  return tasks.map((t) => ({
    // The prediction's score as a task column too: Label Studio's data manager sorts and filters by data columns.
    data: {
      ref: t.ref,
      [CONTROLS.text]: t.text,
      source: t.set,
      reason: t.reasons.join(', '),
      llm_labels: t.llmLabels.length ? t.llmLabels.join(', ') : taxonomy.noneLabel,
      verdict: t.verdict ?? 'none',
      score: predictionScore(t),
      // The LLM's reasoning (silver.rationale / selfCheck.rationale), shown beside the sentence when kept.
      ...(shows.rationale ? { rationale: t.rationale ?? '' } : {}),
      ...(shows.verdictRationale ? { verdict_rationale: t.verdictRationale ?? '' } : {}),
    },
    predictions: [
      {
        model_version: PREDICTION_MODEL,
        score: predictionScore(t),
        result: [
          {
            id: 'llm-labels',
            from_name: CONTROLS.labels,
            to_name: CONTROLS.text,
            type: 'choices',
            value: { choices: t.llmLabels.length ? t.llmLabels : [taxonomy.noneLabel] },
          },
        ],
      },
    ],
  }));
}

/**
 * How sure the run is of the LLM's labels, 0–1 (Label Studio's prediction `score`: sort ascending to review the least
 * certain first). With the gold classifier's view: tanh(margin / 2), 0 on a threshold and near 1 far from every one,
 * halved when the classifier's labels differ from the LLM's; without one (no classifier reason, or it can predict no
 * label): 0.5 after a self-check fix or rejection, else 1.
 */
export function predictionScore(
  t: Pick<ReviewTaskRow, 'verdict' | 'llmLabels' | 'classifierLabels' | 'margin'>,
): number {
  if (typeof t.margin === 'number' && t.classifierLabels) {
    const agree =
      t.classifierLabels.length === t.llmLabels.length && t.classifierLabels.every((l) => t.llmLabels.includes(l));
    return Math.round(Math.tanh(t.margin / 2) * (agree ? 1 : 0.5) * 1e4) / 1e4;
  }
  return t.verdict === 'fix' || t.verdict === 'reject' ? 0.5 : 1;
}

/** Which rationales the tasks carry (silver.rationale, selfCheck.rationale): the interface shows those fields. */
export interface RationalesShown {
  rationale?: boolean;
  verdictRationale?: boolean;
}

export function rationalesShown(tasks: readonly ReviewTaskRow[]): RationalesShown {
  return { rationale: tasks.some((t) => !!t.rationale), verdictRationale: tasks.some((t) => !!t.verdictRationale) };
}

const xml = escapeHtml; // the one escape (lib/run/html.ts): the same five characters are all XML needs

const NONE_HINT = 'None of the labels: the sentence expresses no sign or symptom of the taxonomy';
const DROP_HINT = 'Not a usable sentence (garbled, not clinical, not one sentence): it trains in no mix';

/**
 * The labelling interface: the sentence, the label guide (each label's name and definition as headers, which stock
 * Label Studio always shows: a `hint` shows only behind a feature flag), one checkbox per taxonomy label (its name
 * shown, its id stored, the definition also as the hint), `none`, and a separate "drop" box for sentences that should
 * train nowhere; with `shows`, the LLM's rationale and the self-check's under the sentence.
 */
export function labelStudioConfig(
  taxonomy: Pick<Taxonomy, 'id' | 'version' | 'noneLabel' | 'labels'>,
  shows: RationalesShown = {},
): string {
  const choices = taxonomy.labels.map(
    (l) => `    <Choice value="${xml(l.id)}" html="${xml(xml(l.name))}" hint="${xml(l.definition)}"/>`,
  );
  return [
    `<!-- clinsynth review: taxonomy ${xml(`${taxonomy.id}@${taxonomy.version}`)}. Import tasks.json into a project with this interface; export as JSON. -->`,
    '<View>',
    `  <Text name="${CONTROLS.text}" value="$${CONTROLS.text}"/>`,
    // The LLM's reasoning before its labels / verdict, under the sentence, when the run kept one.
    ...(shows.rationale
      ? [
          '  <Header value="The LLM\'s rationale for its labels" size="6"/>',
          '  <Text name="rationale" value="$rationale"/>',
        ]
      : []),
    ...(shows.verdictRationale
      ? [
          '  <Header value="The self-check\'s rationale for its verdict" size="6"/>',
          '  <Text name="verdict_rationale" value="$verdict_rationale"/>',
        ]
      : []),
    '  <View style="padding: 0 1em; border-left: 3px solid #ccc">',
    '    <Header value="Label guide" size="5"/>',
    ...taxonomy.labels.map(
      (l) => `    <Header value="${xml(`${l.name}: ${l.definition}`)}" size="6" underline="false"/>`,
    ),
    `    <Header value="${xml(`${taxonomy.noneLabel}: ${NONE_HINT}`)}" size="6" underline="false"/>`,
    `    <Header value="${xml(`drop: ${DROP_HINT}`)}" size="6" underline="false"/>`,
    '  </View>',
    '  <Header value="Which signs or symptoms does this sentence express? Tick every one that applies, or none."/>',
    `  <Choices name="${CONTROLS.labels}" toName="${CONTROLS.text}" choice="multiple" required="true" requiredMessage="Tick the labels that apply, or none">`,
    ...choices,
    `    <Choice value="${xml(taxonomy.noneLabel)}" hint="${xml(NONE_HINT)}"/>`,
    '  </Choices>',
    '  <Header value="Leave this sentence out of every training set?"/>',
    `  <Choices name="${CONTROLS.drop}" toName="${CONTROLS.text}" choice="multiple">`,
    `    <Choice value="drop" hint="${xml(DROP_HINT)}"/>`,
    '  </Choices>',
    '</View>',
    '',
  ].join('\n');
}

// Label Studio's JSON export (Export → JSON): an array of tasks with their annotations. Only the fields read here are
// checked; Label Studio adds many others (ids, timestamps, lead times, drafts), which pass through.
const result = z.looseObject({
  from_name: z.string(),
  type: z.string(),
  value: z.looseObject({ choices: z.array(z.string()).optional() }),
});
const user = z.union([
  z.number(),
  z.string(),
  z.looseObject({ id: z.number().optional(), email: z.string().optional() }),
]);
const annotation = z.looseObject({
  completed_by: user.nullish(),
  created_at: z.string().nullish(),
  updated_at: z.string().nullish(),
  was_cancelled: z.boolean().nullish(),
  result: z.array(result),
});
const task = z.looseObject({
  data: z.looseObject({
    ref: z.string({
      error: 'the task has no data.ref (the key clinsynth exported in tasks.json): import the tasks.json of this run',
    }),
  }),
  annotations: z.array(annotation).default([]),
});
const exportSchema = z.array(task, { error: "expected Label Studio's JSON export: an array of tasks" });

type Annotation = z.output<typeof annotation>;

function reviewerOf(a: Annotation): string {
  const u = a.completed_by;
  if (u === undefined || u === null) return 'unknown';
  if (typeof u === 'number') return `label-studio user ${u}`;
  if (typeof u === 'string') return u;
  return u.email ?? (u.id !== undefined ? `label-studio user ${u.id}` : 'unknown');
}

/**
 * Reads a Label Studio JSON export: per task and reviewer, the latest annotation that was not cancelled (a task nobody
 * annotated is left open). Problems carry the file's line and the key path, e.g. `3.annotations.0.result`.
 */
export function parseLabelStudioExport(file: string): ParsedDecisions {
  const parsed = parseYamlFile(file); // JSON is YAML: the same reader gives every value its line
  const at = (path: PropertyKey[]) => ({ line: lineOfPath(parsed, path), key: path.map(String).join('.') });
  const out: ParsedDecisions = { decisions: [], open: 0, problems: [] };
  const r = exportSchema.safeParse(parsed.value);
  if (!r.success) {
    const looksMin =
      Array.isArray(parsed.value) &&
      parsed.value.some((t) => t && typeof t === 'object' && 'ref' in t && !('data' in t));
    if (looksMin)
      return {
        ...out,
        problems: [
          {
            at: { line: 1, key: '' },
            message: "this looks like Label Studio's JSON-MIN export: export as JSON (with annotations) instead",
          },
        ],
      };
    return {
      ...out,
      problems: zodProblems(r.error, file, (p) => lineOfPath(parsed, p)).map((p) => ({
        at: { line: p.line, key: p.key },
        message: p.message,
      })),
    };
  }
  r.data.forEach((t, i) => {
    const done = t.annotations.map((a, j) => ({ a, j })).filter(({ a }) => !a.was_cancelled);
    if (done.length === 0) {
      out.open++;
      return;
    }
    // One decision per reviewer: a reviewer's latest annotation replaces their earlier ones; several reviewers'
    // decisions on one task are all kept (the import records whether they agree).
    const when = (a: Annotation) => a.updated_at ?? a.created_at ?? '';
    const latest = new Map<string, { a: Annotation; j: number }>();
    for (const d of done) {
      const k = reviewerOf(d.a);
      const prev = latest.get(k);
      if (!prev || when(d.a) >= when(prev.a)) latest.set(k, d);
    }
    for (const [reviewer, { a, j }] of latest) {
      const base = [i, 'annotations', j];
      const choices: Decision['choices'] = [];
      let drop = false;
      a.result.forEach((res, k) => {
        if (res.type !== 'choices') return; // e.g. a comment box someone added to the interface
        if (res.from_name === CONTROLS.labels) {
          (res.value.choices ?? []).forEach((value, c) =>
            choices.push({ value, at: at([...base, 'result', k, 'value', 'choices', c]) }),
          );
        } else if (res.from_name === CONTROLS.drop) drop ||= (res.value.choices ?? []).includes('drop');
        else
          out.problems.push({
            at: at([...base, 'result', k, 'from_name']),
            message: `${shown(res.from_name)} is not a control of clinsynth's label-config.xml (${CONTROLS.labels}, ${CONTROLS.drop})`,
          });
      });
      const stamp = a.updated_at ?? a.created_at;
      const reviewedAt = stamp ? isoTime(stamp) : undefined;
      if (stamp && !reviewedAt)
        out.problems.push({
          at: at([...base, a.updated_at ? 'updated_at' : 'created_at']),
          message: `${shown(stamp)} is not an ISO 8601 time`,
        });
      out.decisions.push({
        ref: t.data.ref,
        refAt: at([i, 'data', 'ref']),
        task: i,
        choices,
        choicesAt: at([...base, 'result']),
        drop,
        reviewer,
        ...(reviewedAt ? { reviewedAt } : {}),
      });
    }
  });
  return out;
}
