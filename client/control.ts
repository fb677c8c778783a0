// `clinsynth control RUN_ID pause|resume|budget USD|cancel`: steers a running run through validated Updates.
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { budgetUsdArg, type SteeringAction, type SteeringState } from '../lib/run/steering.js';
import { resendSaying } from './send-update.js';
import { Clinsynth, RunRefusedError, type ExperimentRun } from './api.js';

const USAGE = 'usage: clinsynth control RUN_ID pause|resume|budget USD|cancel [--json]';

const controlArgs = z.union([
  z.tuple([z.string().min(1), z.enum(['pause', 'resume', 'cancel'])]),
  z.tuple([z.string().min(1), z.literal('budget'), z.coerce.number().pipe(budgetUsdArg)]),
]);

export class ControlUsageError extends Error {}

/** Each action as the run handle's steering method. */
const STEER: Record<SteeringAction, (run: ExperimentRun, usd?: number) => Promise<SteeringState>> = {
  pause: (run) => run.pause(),
  resume: (run) => run.resume(),
  budget: (run, usd) => run.setBudget(usd!),
  cancel: (run) => run.cancelLlm(),
};

/** Parses the command's positionals; a usage error says what is wrong. */
export function parseControl(positionals: string[]): { runId: string; action: SteeringAction; usd?: number } {
  const r = controlArgs.safeParse(positionals);
  if (!r.success) {
    const budget = positionals[1] === 'budget' && positionals.length === 3;
    throw new ControlUsageError(
      budget ? `budget "${positionals[2]}": the budget must be a positive number of US dollars\n${USAGE}` : USAGE,
    );
  }
  const [runId, action, usd] = r.data;
  return usd === undefined ? { runId, action } : { runId, action, usd };
}

export function describeState(s: SteeringState): string {
  const money = (v: number | null) => (v === null ? 'unknown' : `$${v.toFixed(4)}`);
  return `${s.cancelled ? 'LLM work cancelled (the report will be partial)' : s.paused ? 'paused' : 'running'}; budget ${s.budgetUsd === null ? 'none' : `$${s.budgetUsd}`}, spent ${money(s.costUsd)}`;
}

/** Exit 0: accepted; 1: refused by the run (the reason printed) or not reachable; 2: usage or no such run. */
export async function controlCommand(args: string[], say: (line: string) => void): Promise<number> {
  const { positionals, values } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false } },
  });
  let parsed;
  try {
    parsed = parseControl(positionals);
  } catch (e) {
    say(`clinsynth control: ${(e as Error).message}`);
    return 2;
  }
  const cs = await Clinsynth.connect({ startServer: false });
  try {
    const run = cs.get(parsed.runId);
    run.resend = resendSaying(say);
    let state: SteeringState;
    try {
      state = await STEER[parsed.action](run, parsed.usd);
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) {
        say(`no running run with id ${parsed.runId} (workflow ${run.workflowId}) on ${cs.address}`);
        return 2;
      }
      if (e instanceof RunRefusedError) {
        say(`refused: ${e.reason}`);
        if (values.json) process.stdout.write(JSON.stringify({ accepted: false, reason: e.reason }) + '\n');
        return 1;
      }
      throw e;
    }
    if (values.json) process.stdout.write(JSON.stringify({ accepted: true, state }) + '\n');
    say(`${parsed.action}: accepted — ${describeState(state)}`);
    return 0;
  } finally {
    await cs.close();
  }
}
