// Bronze job planning: what bronze is written for (labels, combos, none), in calls of perCall, with rotating styles.
import { checkLabels, normaliseLabels } from './answers.js';

export const NOTE_TYPES = [
  'progress note',
  'discharge summary',
  'nursing note',
  'neuropsych report',
  'problem list',
] as const;
export const SPEAKERS = ['clinician', 'patient', 'family'] as const;
export const SEVERITIES = ['mild', 'moderate', 'severe'] as const;
export const ABBREVIATIONS = ['yes', 'no'] as const;

export type BronzeStyle = {
  noteType: string;
  speaker: string;
  severity: string;
  abbreviations: string;
};

export interface BronzeJobSpec {
  /** Labels every sentence must express; [] asks for hard negatives (`none`). */
  labels: string[];
  count: number;
  style: BronzeStyle;
  /** Position in the job list; added to the seed so identical jobs still get distinct requests. */
  jobIndex?: number;
}

export interface BronzeJob extends BronzeJobSpec {
  jobIndex: number;
}

/**
 * All 90 combinations of note type × speaker × severity × abbreviations, in a fixed order where every dimension
 * changes from one entry to the next (so any prefix of the list is already diverse).
 */
export function styleGrid(): BronzeStyle[] {
  const out: BronzeStyle[] = [];
  const n = NOTE_TYPES.length * SPEAKERS.length; // 15: (k mod 5, k mod 3) covers all pairs
  const m = SEVERITIES.length * ABBREVIATIONS.length; // 6: (j mod 3, j mod 2) covers all pairs
  for (let k = 0; k < n * m; k++) {
    const r = k % n;
    const q = Math.floor(k / n);
    const j = (q + r) % m;
    out.push({
      noteType: NOTE_TYPES[r % NOTE_TYPES.length]!,
      speaker: SPEAKERS[r % SPEAKERS.length]!,
      severity: SEVERITIES[j % SEVERITIES.length]!,
      abbreviations: ABBREVIATIONS[j % ABBREVIATIONS.length]!,
    });
  }
  return out;
}

export interface BronzeJobOptions {
  /** Extra label combinations to generate, each like a label (e.g. [['notice_by_others', 'cognitive_impairment']]). */
  combos?: string[][];
  /**
   * The label that a family/caregiver voice implies (default `notice_by_others` when the taxonomy has it): jobs
   * that include it always use the family speaker; other non-empty jobs never do. Negatives may use any speaker.
   */
  familyLabel?: string | null;
  /**
   * The guideline gives `familyLabel` together with what was noticed, so its own jobs pair it, round by round, with
   * one of these labels (default: cognitive_impairment, neuropsychiatric_symptoms, physiological_changes,
   * requiring_assistance, where the taxonomy has them). [] keeps it alone.
   */
  familyCompanions?: string[];
  /**
   * Jobs already planned for this run (default 0): the new jobs number on from there, so their seeds differ from the
   * earlier ones, and they start elsewhere in the style grid and the family companions.
   */
  jobsBefore?: number;
}

const DEFAULT_FAMILY_COMPANIONS = [
  'cognitive_impairment',
  'neuropsychiatric_symptoms',
  'physiological_changes',
  'requiring_assistance',
];

/** What bronze is written for: each label, then each combo (validated against the labels), then `none` ([]) when asked. */
export function bronzeTargets(labelIds: string[], includeNone: boolean, combos: string[][] = []): string[][] {
  const targets: string[][] = labelIds.map((l) => [l]);
  for (const combo of combos) {
    checkLabels(combo, labelIds, 'bronzeJobs combo');
    targets.push(normaliseLabels(combo, labelIds));
  }
  if (includeNone) targets.push([]);
  return targets;
}

/** Whether a bronze row written for `rowLabels` counts for `target`: it expresses all of the target's labels ([] = none). */
export function countsForTarget(rowLabels: readonly string[], target: readonly string[]): boolean {
  return target.length === 0 ? rowLabels.length === 0 : target.every((l) => rowLabels.includes(l));
}

/**
 * The bronze work list: for each label (then each combo, then `none` when asked) `perLabel` sentences in calls of
 * at most `perCall`; jobs are interleaved round by round across targets and styles cycle through `styleGrid()`.
 * Validates its arguments (throws Error on bad counts or unknown combo labels).
 */
export function bronzeJobs(
  labelIds: string[],
  perLabel: number,
  perCall: number,
  includeNone: boolean,
  opts: BronzeJobOptions = {},
): BronzeJob[] {
  if (!Number.isInteger(perLabel) || perLabel < 0)
    throw new Error(`bronzeJobs: perLabel must be an integer >= 0, got ${perLabel}`);
  const targets = bronzeTargets(labelIds, includeNone, opts.combos);
  return planBronzeJobs(
    labelIds,
    targets.map((target) => ({ target, count: perLabel })),
    perCall,
    opts,
  );
}

/**
 * Jobs that ask for `count` sentences for each target, in calls of at most `perCall`, interleaved round by round;
 * numbered from `opts.jobsBefore` (used by the first plan and by every top-up round).
 */
export function planBronzeJobs(
  labelIds: string[],
  wanted: { target: string[]; count: number }[],
  perCall: number,
  opts: BronzeJobOptions = {},
): BronzeJob[] {
  if (!Number.isInteger(perCall) || perCall < 1)
    throw new Error(`bronzeJobs: perCall must be an integer >= 1, got ${perCall}`);
  for (const w of wanted) {
    if (!Number.isInteger(w.count) || w.count < 0)
      throw new Error(`bronzeJobs: a count must be an integer >= 0, got ${w.count}`);
  }
  const first = opts.jobsBefore ?? 0;
  const family =
    opts.familyLabel === undefined
      ? labelIds.includes('notice_by_others')
        ? 'notice_by_others'
        : null
      : opts.familyLabel;

  const companions = (opts.familyCompanions ?? DEFAULT_FAMILY_COMPANIONS).filter(
    (l) => labelIds.includes(l) && l !== family,
  );
  const labelsFor = (target: string[], round: number): string[] =>
    family !== null && target.length === 1 && target[0] === family && companions.length
      ? normaliseLabels([family, companions[(round + first) % companions.length]!], labelIds)
      : [...target];

  const grid = styleGrid();
  let cursor = first % grid.length;
  const pickStyle = (labels: string[]): BronzeStyle => {
    const mustBeFamily = family !== null && labels.includes(family);
    const mayBeFamily = family === null || labels.length === 0 || mustBeFamily;
    for (let step = 0; step < grid.length; step++) {
      const s = grid[(cursor + step) % grid.length]!;
      const ok = mustBeFamily ? s.speaker === 'family' : mayBeFamily || s.speaker !== 'family';
      if (ok) {
        cursor = (cursor + step + 1) % grid.length;
        return s;
      }
    }
    return grid[0]!;
  };

  const rounds = Math.max(0, ...wanted.map((w) => Math.ceil(w.count / perCall)));
  const jobs: BronzeJob[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const { target, count: total } of wanted) {
      const count = Math.min(perCall, total - round * perCall);
      if (count <= 0) continue;
      const labels = labelsFor(target, round);
      jobs.push({ labels, count, style: { ...pickStyle(labels) }, jobIndex: first + jobs.length });
    }
  }
  return jobs;
}
