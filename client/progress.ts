// Renders a run's progress (from the workflow's query) as short human lines.
import type { RunProgress, StageName } from '../lib/run/run-state.js';
import { STAGES } from '../lib/run/run-state.js';
import { batchRoundSummary, batchSummary } from '../lib/run/summaries.js';

export function progressLine(p: RunProgress): string {
  const stage = p.stage === 'done' ? 'done' : p.stage;
  const s = p.stage === 'done' ? undefined : p.stages[p.stage as StageName];
  const part = s && s.total > 0 ? ` ${s.done}/${s.total}${s.failedPages ? ` (${s.failedPages} failed)` : ''}` : '';
  const llm =
    p.llm.calls + p.llm.cacheHits > 0
      ? ` · LLM ${p.llm.calls} calls, ${p.llm.cacheHits} cached, ${p.llm.promptTokens + p.llm.completionTokens} tokens${p.llm.failures ? `, ${p.llm.failures} unusable answers` : ''}`
      : '';
  const cost = p.costUsd ? ` · ~$${p.costUsd.toFixed(2)}` : '';
  const steer = p.cancelled
    ? ' · LLM work cancelled (partial report)'
    : p.paused && p.stage !== 'done'
      ? ' · paused (clinsynth control … resume)'
      : '';
  const review =
    p.stage === 'review' && p.review?.state === 'waiting'
      ? ` · waiting for human review (${p.review.tasks} rows): clinsynth review import|skip ${p.runId}`
      : '';
  const budget = p.budgetUsd !== undefined ? ` of $${p.budgetUsd}` : '';
  const round = batchRoundSummary(p);
  return `[${stage}]${part}${round ? ` · ${round}` : ''}${llm}${cost}${cost ? budget : ''}${p.budgetExhausted ? ' · budget reached: no new LLM work' : ''}${steer}${review}`;
}

export function stageTable(p: RunProgress): string {
  // Runs started before the review stage existed have no entry for it.
  return STAGES.filter((name) => p.stages[name])
    .map((name) => {
      const s = p.stages[name];
      return `  ${name.padEnd(10)} ${s.status.padEnd(8)} ${s.total ? `${s.done}/${s.total}` : ''}${s.failedPages ? ` (${s.failedPages} pages failed)` : ''}`;
    })
    .join('\n');
}

/** Every provider batch of the run (llm.batch), one line each; '' when the run used none. */
export function batchTable(p: RunProgress): string {
  const lines = (p.batches ?? []).map(
    (b) => `  ${b.stage.padEnd(10)} round ${b.round + 1}${b.part ? ` part ${b.part + 1}` : ''}  ${batchSummary(b)}`,
  );
  const errors = (p.batchErrors ?? []).map((e) => `  gave up: ${e}`);
  return lines.length || errors.length ? ['batches:', ...lines, ...errors].join('\n') : '';
}
