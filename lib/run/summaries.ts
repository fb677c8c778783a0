// What the Temporal UI shows for a run: a one-line summary and a small Markdown table of the key settings, and the
// one-line summaries of activities. Pure text built from settings and references only — never note text.
import type { Experiment } from '../config/experiment.js';
import type { BatchProgress, RunProgress } from './run-state.js';

const fmt = (n: number): string => n.toLocaleString('en-US');

function modelName(e: Experiment): string {
  if (e.llm.provider === 'openai') return e.llm.model ?? 'unknown model';
  return e.llm.model ? (e.llm.model.split('/').at(-1) ?? e.llm.model) : 'embedded SmolLM2-135M';
}

/** `demo-ad · gpt-4o-mini · ad-signs-symptoms@1` (with the study variant when there is one). */
export function experimentSummary(e: Experiment, variant?: { study: string; id: string }): string {
  const head = variant ? `${variant.study} / ${variant.id}: ${e.name}` : e.name;
  return `${head} · ${modelName(e)} · ${e.taxonomyVersion}`;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The key settings as a Markdown table (the workflow's static details). */
export function experimentDetails(e: Experiment, values?: Record<string, unknown>): string {
  const rows: [string, string][] = [];
  if (values) for (const [k, v] of Object.entries(values)) rows.push([`**${k}** (varied)`, JSON.stringify(v)]);
  rows.push(
    [
      'LLM',
      `${e.llm.provider} ${modelName(e)}, concurrency ${e.llm.concurrency}${e.llm.budgetUsd !== undefined ? `, budget $${e.llm.budgetUsd}` : ''}${e.llm.batch ? `, batch API (up to ${e.llm.batchRounds} rounds a stage)` : ''}`,
    ],
    ['taxonomy', `${e.taxonomyVersion} (${e.labels.length} labels)`],
    [
      'silver',
      e.silver.enabled ? `up to ${fmt(e.corpus?.maxSentences ?? 0)} sentences, ${e.silver.batchSize} per call` : 'off',
    ],
    [
      'bronze',
      e.bronze.enabled
        ? `${e.bronze.perLabel} per label, ${e.bronze.perCall} per call, ${e.bronze.topUpRounds} top-up rounds`
        : 'off',
    ],
    ['self-check', e.selfCheck.enabled ? `${e.selfCheck.batchSize} per call` : 'off'],
    ...(e.review?.enabled
      ? [
          [
            'human review',
            `up to ${fmt(e.review.max)} rows (${e.review.select.join(', ')}); the run waits for \`clinsynth review import|skip\``,
          ] as [string, string],
        ]
      : []),
    ['train', `${e.train.classifier}, seeds ${e.train.seeds.join(', ')}`],
    [
      'evaluate',
      `${e.evaluate.mixes.join(', ')} vs ${e.evaluate.baseline}; ${e.evaluate.folds} fold${e.evaluate.folds === 1 ? '' : 's'}`,
    ],
  );
  return ['| setting | value |', '|---|---|', ...rows.map(([k, v]) => `| ${cell(k)} | ${cell(v)} |`)].join('\n');
}

/** The study's own summary: `study demo-sweep: 4 variants of demo-ad (bronze.perLabel × train.classifier)`. */
export function studySummary(
  name: string,
  variants: number,
  experiment: string,
  keys: readonly string[],
  zip: boolean,
): string {
  return `study ${name}: ${variants} variants of ${experiment} (${keys.join(zip ? ' ~ ' : ' × ')})`;
}

/** The study's static details: one row per variant with its values. */
export function studyDetails(
  variants: readonly { id: string; values: Record<string, unknown> }[],
  concurrency: number,
): string {
  return [
    `${variants.length} experiments, ${concurrency} at a time`,
    '',
    '| variant | values |',
    '|---|---|',
    ...variants.map(
      (v) =>
        `| ${cell(v.id)} | ${cell(
          Object.entries(v.values)
            .map(([k, x]) => `${k} = ${JSON.stringify(x)}`)
            .join(', '),
        )} |`,
    ),
  ].join('\n');
}

/** `silver page 12/250 (8 sentences)`: a page of an LLM stage, by number. */
export function pageSummary(what: string, page: number, total: number, detail?: string): string {
  return `${what} page ${page + 1}/${total}${detail ? ` (${detail})` : ''}`;
}

/** `batch_abc in_progress 120/400 (3 failed)`: one provider batch and its request counts. */
export function batchSummary(b: BatchProgress): string {
  const counts = b.total ? ` ${b.completed}/${b.total}${b.failed ? ` (${b.failed} failed)` : ''}` : '';
  const collected =
    b.answered !== undefined
      ? `, ${b.answered} answers collected${b.unanswered ? `, ${b.unanswered} to ask again` : ''}`
      : '';
  return `${b.id} ${b.status}${counts}${collected}${b.error ? ` — ${b.error}` : ''}`;
}

/** The current stage's batch round (llm.batch) in one line; '' when no batch round is open. */
export function batchRoundSummary(p: RunProgress): string {
  const job = p.batchJob;
  if (!job || job.phase === 'done') return '';
  const open = (p.batches ?? []).filter((b) => b.scope === job.scope && b.round === job.round);
  const what =
    job.phase === 'submit' ? 'submitting' : job.phase === 'collect' ? 'collecting' : open.map(batchSummary).join('; ');
  return `batch round ${job.round + 1}/${job.rounds} of ${job.stage}: ${what}`;
}
