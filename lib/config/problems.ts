// Input problems reported as `file:line: key.path: what is wrong`, collected and thrown together.
export interface Problem {
  file: string;
  line: number;
  key: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  // A value given in code (an override) has no line in the file.
  if (p.line === 0 && p.key.startsWith('overrides.')) return `${p.file}: ${p.key}: ${p.message}`;
  return `${p.file}:${p.line}: ${p.key || '(root)'}: ${p.message}`;
}

/** Thrown for any invalid external input; the CLI prints `problems` one per line and exits 2. */
export class InputError extends Error {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = problems;
  }
}

export function inputError(file: string, line: number, key: string, message: string): InputError {
  return new InputError([{ file, line, key, message }]);
}
