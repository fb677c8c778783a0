// The experiment workflow's steering Updates (pause, resume, budget, cancel): validators refuse at once what cannot
// apply; accepted changes live on the run's progress, so they survive continue-as-new.
import { ApplicationFailure, setHandler } from '@temporalio/workflow';
import { budgetUsdArg, type SteeringState } from '../lib/run/steering.js';
import { budgetUpdate, cancelLlmUpdate, pauseUpdate, resumeUpdate } from './contract.js';
import type { RunProgress } from '../lib/run/run-state.js';

const LLM_STAGES = new Set(['taxonomy', 'silver', 'bronze', 'selfcheck']);

export interface Steering {
  /** The budget in force: the last accepted `budget`, else llm.budgetUsd. */
  budget(): number | undefined;
  state(): SteeringState;
  /** Bumped by every accepted change, so a waiting loop can wake on it. */
  version(): number;
}

const refuse = (message: string): never => {
  throw ApplicationFailure.nonRetryable(message, 'SteeringRefused');
};

/**
 * Installs the handlers; `spent` estimates the spend so far (validators only read: a refused Update leaves no event,
 * so it must change nothing); `changed` runs after each accepted change (to refresh the current details).
 */
export function installSteering(
  p: RunProgress,
  configuredBudget: number | undefined,
  spent: () => number | null,
  changed: () => void,
): Steering {
  let version = 0;
  const budget = () => p.budgetUsd ?? configuredBudget;
  const state = (): SteeringState => ({
    paused: !!p.paused,
    cancelled: !!p.cancelled,
    budgetUsd: budget() ?? null,
    costUsd: spent(),
  });
  const llmWorkLeft = (what: string) => {
    if (!LLM_STAGES.has(p.stage)) refuse(`cannot ${what}: the LLM stages are over (stage ${p.stage})`);
    if (p.cancelled) refuse(`cannot ${what}: LLM work was cancelled`);
  };
  const apply = (fn: () => void) => () => {
    fn();
    version++;
    changed();
    return state();
  };
  setHandler(
    pauseUpdate,
    apply(() => (p.paused = true)),
    {
      validator: () => {
        llmWorkLeft('pause');
        if (p.paused) refuse('the run is already paused');
      },
    },
  );
  setHandler(
    resumeUpdate,
    apply(() => (p.paused = false)),
    {
      validator: () => {
        if (!p.paused) refuse('the run is not paused');
      },
    },
  );
  setHandler(
    budgetUpdate,
    (usd: number) =>
      apply(() => {
        const cost = spent();
        p.costUsd = cost;
        p.budgetUsd = usd;
        p.budgetExhausted = cost !== null && cost >= usd;
      })(),
    {
      validator: (usd: unknown) => {
        const r = budgetUsdArg.safeParse(usd);
        if (!r.success) refuse(`budget ${String(usd)}: ${r.error.issues[0]?.message ?? 'invalid'}`);
        llmWorkLeft('change the budget');
        const cost = spent();
        if (cost === null)
          return refuse("cannot enforce a budget: the model's price is unknown (add it under llm.prices)");
        if (r.data! < cost) refuse(`budget $${r.data} is below the $${cost.toFixed(6)} spent so far`);
      },
    },
  );
  setHandler(
    cancelLlmUpdate,
    apply(() => {
      p.cancelled = true;
      p.paused = false;
    }),
    {
      validator: () => llmWorkLeft('cancel'),
    },
  );
  return { budget, state, version: () => version };
}

/** The current-details line's steering part (empty when never steered). */
export function steeringDetails(s: SteeringState): string {
  const parts: string[] = [];
  if (s.cancelled) parts.push('**LLM work cancelled** (partial report)');
  else if (s.paused) parts.push('**paused** (no new LLM page starts; `clinsynth control RUN_ID resume`)');
  if (s.budgetUsd !== null)
    parts.push(`budget $${s.budgetUsd}${s.costUsd !== null ? `, spent $${s.costUsd.toFixed(4)}` : ''}`);
  return parts.length ? ` — ${parts.join(' — ')}` : '';
}
