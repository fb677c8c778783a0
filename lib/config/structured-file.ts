// Reads YAML/JSON files and validates them against zod schemas, mapping every issue to `file:line: key.path`.
import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode, type Document } from 'yaml';
import type { z } from 'zod';
import { InputError, inputError, type Problem } from './problems.js';

/** Throws an InputError unless `file` is an existing regular file. */
export function assertReadableFile(file: string, what = 'file'): void {
  let stat;
  try {
    stat = statSync(file);
  } catch {
    throw inputError(file, 0, '', `${what} does not exist`);
  }
  if (stat.isDirectory()) throw inputError(file, 0, '', `${what} is a directory, expected a file`);
}

/** Reads a whole text file as UTF-8, rejecting missing files, directories and invalid UTF-8 with a Problem. */
export function readTextFile(file: string, what = 'file'): string {
  assertReadableFile(file, what);
  const bytes = readFileSync(file);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8Line(bytes);
    throw inputError(file, bad, '', 'not valid UTF-8 text');
  }
}

/** Reports a problem of one JSONL line: `key` is a dotted path inside the line's object ('' for the whole line). */
export type LineProblem = (key: string, message: string) => void;

/**
 * Each non-blank line of a JSONL text, parsed and checked against `schema`: invalid JSON and schema issues go to
 * `problems` as `file:line: key: why`; `onRow` gets each valid line's data, its 1-based line and a reporter for the
 * checks the schema cannot make.
 */
export function forEachJsonlRow<S extends z.ZodType>(
  content: string,
  file: string,
  schema: S,
  problems: Problem[],
  onRow: (data: z.output<S>, line: number, problem: LineProblem) => void,
): void {
  content.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    const problem: LineProblem = (key, message) => problems.push({ file, line, key, message });
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      return problem('', `invalid JSON: ${(e as Error).message}`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problem(issue.path.map(String).join('.'), issue.message);
      return;
    }
    onRow(parsed.data, line, problem);
  });
}

function firstInvalidUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return 1;
}

export interface ParsedYaml {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  value: unknown;
}

export function parseYamlFile(file: string): ParsedYaml {
  const text = readTextFile(file);
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new InputError(
      doc.errors.map((e) => ({
        file,
        // linePos is only filled with prettyErrors; pos (offsets) always is.
        line: e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line,
        key: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (e) {
    // e.g. "Excessive alias count indicates a resource exhaustion attack" (a YAML alias bomb)
    throw inputError(file, 1, '', `YAML: ${(e as Error).message}`);
  }
  if (value === null || value === undefined) throw inputError(file, 1, '', 'file is empty');
  return { file, doc, lines, value };
}

/** The 1-based line of the deepest YAML node that exists along `path`. */
export function lineOfPath(parsed: ParsedYaml, path: readonly PropertyKey[]): number {
  let node: unknown = parsed.doc.contents;
  let line = lineOfNode(parsed, node as YamlNode) ?? 1;
  for (const key of path) {
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      line = lineOfNode(parsed, pair.key as YamlNode) ?? line;
      next = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      next = node.items[key];
    } else break;
    if (!next) break;
    line = lineOfNode(parsed, next as YamlNode) ?? line;
    node = next;
  }
  return line;
}

function lineOfNode(parsed: ParsedYaml, node: YamlNode | null | undefined): number | undefined {
  const offset = node?.range?.[0];
  return offset === undefined ? undefined : parsed.lines.linePos(offset).line;
}

export function zodProblems(
  error: z.ZodError,
  file: string,
  lineOf: (path: readonly PropertyKey[]) => number,
): Problem[] {
  return error.issues.map((issue) => {
    const path = issue.path as PropertyKey[];
    let key = path.map(String).join('.');
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys;
      key = [...path.map(String), keys[0]].join('.');
      message = `unknown key${keys.length > 1 ? 's ' + keys.join(', ') : ''} (check the spelling)`;
      return { file, line: lineOf([...path, keys[0]!]), key, message };
    }
    return { file, line: lineOf(path), key, message };
  });
}

/** Parses a YAML file and validates it; throws InputError listing every problem with its line. */
export function loadYaml<S extends z.ZodType>(file: string, schema: S): { data: z.output<S>; parsed: ParsedYaml } {
  const parsed = parseYamlFile(file);
  const result = schema.safeParse(parsed.value);
  if (!result.success) throw new InputError(zodProblems(result.error, file, (p) => lineOfPath(parsed, p)));
  return { data: result.data, parsed };
}
