// What every CLI command shares: the usage error main() prints with the usage text, the stderr line writer, and
// checks of positional and numeric arguments.

/** A command line that does not parse; main() prints it with the usage and exits 2. */
export class UsageError extends Error {}

/** Writes one line to stderr (progress and notes; stdout carries only results). */
export const say = (line: string): void => void process.stderr.write(line + '\n');

export function oneFile(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`expected one ${what}, got ${positionals.length}`);
  return positionals[0]!;
}

export function portArg(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`${flag} takes a port number (1-65535)`);
  return n;
}
