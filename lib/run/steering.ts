// Steering a running experiment: the Updates' argument schema and the state they report (shared by the workflow,
// which validates, and the `clinsynth control` client; the Update definitions are in workflows/contract.ts).
import { z } from 'zod';

export type SteeringAction = 'pause' | 'resume' | 'budget' | 'cancel';

/** llm.budgetUsd while a run goes: a positive, finite number of US dollars. */
export const budgetUsdArg = z
  .number()
  .finite()
  .positive({ message: 'the budget must be a positive number of US dollars' });

/** What each accepted Update answers, and what the workflow's current details show. */
export interface SteeringState {
  paused: boolean;
  cancelled: boolean;
  /** The budget in force (llm.budgetUsd or the last accepted `budget`); null: no cap. */
  budgetUsd: number | null;
  /** Estimated spend so far; null when the model's price is unknown. */
  costUsd: number | null;
}
