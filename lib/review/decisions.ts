// A reviewer's decision on one task as an import file states it, with where each part sits in the file (for file:line problems).

/** A place in an import file: its line and the key path (or column) of the value. */
export interface Where {
  line: number;
  key: string;
}

/** One task's decision, before it is checked against the run's tasks and taxonomy. */
export interface Decision {
  ref: string;
  refAt: Where;
  /** The task's place in the file when one task holds several reviewers' decisions (Label Studio), else undefined. */
  task?: number;
  /** The chosen values of the labels control (taxonomy ids, or the taxonomy's none label). */
  choices: { value: string; at: Where }[];
  /** Where the labels were (or should have been) given, for "no labels chosen". */
  choicesAt: Where;
  drop: boolean;
  reviewer: string;
  /** ISO time of the decision; undefined: the file's. */
  reviewedAt?: string;
}

/** A parsed import file: its decisions, tasks without one, and every problem found while reading it. */
export interface ParsedDecisions {
  decisions: Decision[];
  /** Tasks in the file that nobody reviewed (no annotation, all cancelled, or empty cells). */
  open: number;
  problems: { at: Where; message: string }[];
}

/** The controls of the review interface (label-config.xml) and the CSV's label column: one name for both. */
export const CONTROLS = { text: 'text', labels: 'labels', drop: 'drop' } as const;

/** An ISO 8601 time, or undefined when `s` is not one. */
export function isoTime(s: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}/.test(s)) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/**
 * A value from the file, quoted for a problem message and cut at 40 characters: problems travel in the Update's
 * failure into the workflow history, and a cell may hold pasted sentence text where an id belongs.
 */
export function shown(value: string): string {
  return `"${value.length > 40 ? `${value.slice(0, 39)}…` : value}"`;
}
