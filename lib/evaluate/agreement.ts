// The LLM as annotator: its labels of the gold test sentences against the gold labels, with and without self-check.
import { join } from 'node:path';
import { agreement, type Agreement } from './metrics.js';
import { pageFiles, readJsonl, readRunExperiment, RUN_FILES } from '../run/run-dir.js';
import type { GoldRow, SilverRow, VerdictRow } from '../run/records.js';

export interface LlmAgreement {
  /** The LLM's first answer for every gold test sentence it labelled. */
  silver: Agreement;
  /** After the self-check: `fix` replaces the labels, `reject`ed sentences are left out (see `rejected`). */
  silverChecked?: Agreement & { rejected: number };
}

/** Undefined when the run did not label its gold test sentences (evaluate.llmAgreement off, or silver disabled). */
export function llmAgreement(runDir: string): LlmAgreement | undefined {
  const labelled = pageFiles(runDir, 'probe').flatMap((f) => readJsonl<SilverRow>(f));
  if (labelled.length === 0) return undefined;
  const labels = readRunExperiment(runDir).labels;
  const gold = new Map(readJsonl<GoldRow>(join(runDir, RUN_FILES.goldTest)).map((r) => [r.id, r.labels]));
  const rows = labelled.filter((r) => gold.has(r.id));
  const result: LlmAgreement = {
    silver: agreement(
      rows.map((r) => gold.get(r.id)!),
      rows.map((r) => r.labels),
      labels,
    ),
  };
  const verdicts = new Map(
    pageFiles(runDir, 'verdictsProbe')
      .flatMap((f) => readJsonl<VerdictRow>(f))
      .map((v) => [v.id, v]),
  );
  if (verdicts.size > 0) {
    const kept = rows.filter((r) => verdicts.get(r.id)?.verdict !== 'reject');
    const checkedLabels = kept.map((r) => {
      const v = verdicts.get(r.id);
      return v?.verdict === 'fix' ? v.labels : r.labels;
    });
    result.silverChecked = {
      ...agreement(
        kept.map((r) => gold.get(r.id)!),
        checkedLabels,
        labels,
      ),
      rejected: rows.length - kept.length,
    };
  }
  return result;
}
