// The report's caveats: what a reader must keep in mind, as data (plain text), derived from the report model.
import { int, num } from './format.js';
import type { Report } from './model.js';

/** Every label scored in some mix, in the order the mixes list them. */
export function reportLabels(r: Report): string[] {
  const seen = new Set<string>();
  for (const m of Object.values(r.mixes)) for (const l of Object.keys(m.perLabel)) seen.add(l);
  return [...seen];
}

/**
 * What a reader must keep in mind about this report, as plain sentences (the view escapes them): too few seeds, labels
 * without test support, failed pages, a cancelled run, a spent budget, possible PHI, an unfinished evaluation.
 */
export function caveats(r: Report): string[] {
  const mixes = Object.keys(r.mixes);
  const labels = reportLabels(r);
  const out: string[] = [];
  const varied = mixes.filter((m) => r.mixes[m]!.seedsApply !== false);
  if (varied.length < mixes.length)
    out.push(
      "The classifier is deterministic (logreg): each mix trained once, train.seeds do not apply to it and no sd over seeds is shown; the uncertainty is the comparison's interval (notes resampled).",
    );
  const seedCounts = new Set(varied.map((m) => r.mixes[m]!.seeds.length));
  if (seedCounts.size > 1)
    out.push(
      `Mixes were evaluated over different numbers of seeds (${[...seedCounts].sort().join(', ')}); their sd are not comparable.`,
    );
  if (varied.length && Math.max(...varied.map((m) => r.mixes[m]!.seeds.length)) < 2)
    out.push('Only one seed per mix: no spread is shown and differences between mixes may be noise.');
  const zero = labels.filter((l) => mixes.some((m) => r.mixes[m]!.perLabel[l]?.support === 0));
  if (zero.length)
    out.push(
      `${zero.length} label${zero.length === 1 ? ' has' : 's have'} no gold test sentence (${zero.join(', ')}): their F1 is 0 by convention and lowers every mix's macro-F1 equally.`,
    );
  const thin = labels.filter((l) =>
    mixes.some((m) => {
      const s = r.mixes[m]!.perLabel[l]?.support ?? 0;
      return s > 0 && s < 5;
    }),
  );
  if (thin.length)
    out.push(
      `${thin.length} label${thin.length === 1 ? ' rests' : 's rest'} on fewer than 5 gold test sentences: ${thin.length === 1 ? 'its' : 'their'} per-label F1 moves in large steps.`,
    );
  const failed = Object.entries(r.stages).filter(([, p]) => p.failedPages > 0);
  if (failed.length)
    out.push(
      `Pages failed after all retries in ${failed.map(([s, p]) => `${s} (${p.failedPages})`).join(', ')}: their items are missing from the data (within llm.maxFailedShare; each page and why in failures/pages.jsonl).`,
    );
  const short = num(r.counts.bronzeTargetsShort);
  if (short > 0) {
    out.push(
      `${int(short)} bronze target${short === 1 ? ' is' : 's are'} still short of bronze.perLabel usable sentences after ${int(num(r.counts.bronzeTopUpRounds))} top-up round(s): see Training data composition.`,
    );
  }
  if (r.partial)
    out.push(
      'LLM work was cancelled while the run went (clinsynth control … cancel): this report is partial, trained and evaluated on the synthetic data made before that.',
    );
  if (r.llm.budgetExhausted)
    out.push(
      'The LLM budget (llm.budgetUsd) ran out: LLM work stopped early and the synthetic sets are smaller than asked.',
    );
  if (num(r.llm.failures) > 0)
    out.push(`${int(r.llm.failures)} LLM answer${r.llm.failures === 1 ? ' was' : 's were'} unusable and left out.`);
  if (r.safety && Object.values(r.safety.phiRows ?? {}).some((v) => num(v) > 0))
    out.push('Rows with possible PHI were found: see Safety.');
  if (r.stages.report && r.stages.report.status !== 'done' && r.stages.evaluate?.status !== 'done')
    out.push('The run had not finished evaluating when this report was written.');
  if (r.review?.selection?.classifier?.sawTestLabels) {
    out.push(
      "Rows for human review were partly chosen by a classifier trained on every gold sentence, test folds included (out-of-fold evaluation leaves no gold sentence outside them): the reviewers' labels owe nothing to gold, but which rows they saw did.",
    );
  }
  return out;
}
