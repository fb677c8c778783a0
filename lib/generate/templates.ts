// Prompt templates (Nunjucks: the defaults in prompts/, or a researcher's own): loading, content versions, rendering, checks.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import type { ChatMessage } from '../llm/types.js';
import type { Problem } from '../config/problems.js';
import { InputError } from '../config/problems.js';

export const PROMPT_STAGES = ['silver', 'bronze', 'selfCheck'] as const;
export type PromptStage = (typeof PROMPT_STAGES)[number];

/** The default templates, one folder per stage with `system.njk` and `user.njk`. */
export const DEFAULT_PROMPTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'prompts');
const DEFAULT_FOLDER: Record<PromptStage, string> = { silver: 'silver', bronze: 'bronze', selfCheck: 'selfcheck' };
/** What a message file in a template folder may be called (the first that exists is used). */
const PART_NAMES = (part: 'system' | 'user') =>
  ['njk', 'j2', 'jinja', 'txt', ''].map((x) => (x ? `${part}.${x}` : part));

export interface TemplatePart {
  file: string;
  source: string;
}

/** One stage's prompt: its system and user message templates and the version derived from their content. */
export interface PromptTemplate {
  stage: PromptStage;
  /** The folder's (or file's) stem: `silver` for the default, `terse` for prompts/terse.njk. */
  name: string;
  /** sha256 of the system and user sources (first 12 hex digits). */
  hash: string;
  /** `name@hash`: the prompt version in every row's provenance and in the dataset card. */
  version: string;
  /** The folder (or file) named in the experiment, or the default folder. */
  path: string;
  isDefault: boolean;
  system: TemplatePart;
  user: TemplatePart;
}

function readPart(file: string): TemplatePart {
  return { file, source: readFileSync(file, 'utf8') };
}

function findPart(dir: string, part: 'system' | 'user'): string | undefined {
  return PART_NAMES(part)
    .map((n) => join(dir, n))
    .find((f) => existsSync(f));
}

/**
 * Loads a stage's template: `path` is a folder with `system` and `user` message files (`system.njk`, `user.njk`, or
 * .j2/.jinja/.txt/no extension), or a single file that is the user message (the system message stays the default).
 * Without `path`, the default in prompts/. Throws InputError naming `key` when the path is not there.
 */
export function loadPrompt(stage: PromptStage, path?: string, key = `prompts.${stage}`): PromptTemplate {
  const defaultDir = join(DEFAULT_PROMPTS_DIR, DEFAULT_FOLDER[stage]);
  const where = path ?? defaultDir;
  const fail = (message: string) => new InputError([{ file: where, line: 0, key, message }]);
  if (!existsSync(where)) throw fail('no such file or folder');
  let system: string | undefined;
  let user: string | undefined;
  if (statSync(where).isDirectory()) {
    system = findPart(where, 'system');
    user = findPart(where, 'user');
    if (!system || !user) throw fail('a prompt folder needs a `system` and a `user` file (e.g. system.njk, user.njk)');
  } else {
    system = findPart(defaultDir, 'system');
    user = where;
  }
  const parts = { system: readPart(system!), user: readPart(user) };
  const hash = createHash('sha256')
    .update(parts.system.source)
    .update('\u0000')
    .update(parts.user.source)
    .digest('hex')
    .slice(0, 12);
  const name = basename(where, extname(where));
  return { stage, name, hash, version: `${name}@${hash}`, path: where, isDefault: path === undefined, ...parts };
}

const env = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
env.addFilter('oneline', (text: unknown) => String(text).replace(/\s+/g, ' ').trim());

const compiled = new Map<string, nunjucks.Template>();

function compile(part: TemplatePart): nunjucks.Template {
  const key = `${part.file}\u0000${part.source}`;
  let t = compiled.get(key);
  if (!t) {
    t = new nunjucks.Template(part.source, env, part.file, true);
    if (compiled.size > 200) compiled.clear();
    compiled.set(key, t);
  }
  return t;
}

/** `(file) [Line 3, Column 5]\n  message` (a Nunjucks error) as a problem at that line of the part's file. */
function templateProblem(part: TemplatePart, key: string, err: unknown): Problem {
  const text = err instanceof Error ? err.message : String(err);
  const m = /\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/.exec(text);
  const at = (err as { lineno?: unknown }).lineno;
  const line = m ? Number(m[1]) : typeof at === 'number' ? at : 0; // a TemplateError's lineno counts from 1
  let message = (m ? m[3]! : text).replace(/^Error:\s*/, '').trim();
  if (/null or undefined value/.test(message)) {
    const src = part.source.split('\n')[line - 1] ?? '';
    const expr = /\{\{-?\s*(.*?)\s*-?\}\}/.exec(src.slice(Math.max(0, Number(m?.[2] ?? 1) - 1)))?.[1];
    message = `unknown variable: ${expr ? `{{ ${expr} }}` : 'a value'} is undefined`;
  } else if (!/unknown variable/.test(message)) {
    message = `template syntax error: ${message}`;
  }
  return { file: part.file, line, key, message };
}

/** A part rendered against a context; one final newline of the file is not part of the message. */
function renderPart(part: TemplatePart, key: string, context: object): string {
  let out: string;
  try {
    out = compile(part).render(context);
  } catch (err) {
    throw new InputError([templateProblem(part, key, err)]);
  }
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

/** The system and user messages of a template rendered against a context; InputError at FILE:LINE when it fails. */
export function renderMessages(t: PromptTemplate, context: object): ChatMessage[] {
  const key = `prompts.${t.stage}`;
  return [
    { role: 'system', content: renderPart(t.system, key, context) },
    { role: 'user', content: renderPart(t.user, key, context) },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// Static check: variables a template uses that the context does not define

interface AstNode {
  typename: string;
  fields: string[];
  value?: unknown;
  lineno: number;
  [field: string]: unknown;
}

const GLOBALS = new Set(['loop', 'range', 'cycler', 'joiner', 'caller', 'super', 'true', 'false', 'none', 'True']);

function isNode(v: unknown): v is AstNode {
  return !!v && typeof v === 'object' && Array.isArray((v as AstNode).fields);
}

function children(node: AstNode, skip: string[] = []): AstNode[] {
  const out: AstNode[] = [];
  for (const f of node.fields) {
    if (skip.includes(f)) continue;
    const v = node[f];
    if (Array.isArray(v)) out.push(...v.filter(isNode));
    else if (isNode(v)) out.push(v);
  }
  return out;
}

function symbolsIn(node: AstNode): AstNode[] {
  if (node.typename === 'Symbol') return [node];
  return children(node).flatMap(symbolsIn);
}

/** Variables used in a part that are neither in `known` nor set by the template itself (for, set, macro). */
export function unknownVariables(part: TemplatePart, key: string, known: Set<string>): Problem[] {
  const parser = (nunjucks as unknown as { parser: { parse(src: string): AstNode } }).parser;
  let root: AstNode;
  try {
    root = parser.parse(part.source);
  } catch (err) {
    return [templateProblem(part, key, err)];
  }
  const bound = new Set<string>();
  const used: AstNode[] = [];
  const walk = (node: AstNode): void => {
    if (node.typename === 'Symbol') return void used.push(node);
    const binding: Record<string, string[]> = { For: ['name'], Set: ['targets'], Macro: ['name', 'args'] };
    for (const f of binding[node.typename] ?? [])
      for (const s of isNode(node[f]) ? symbolsIn(node[f] as AstNode) : []) bound.add(String(s.value));
    const skip = [...(binding[node.typename] ?? []), ...(node.typename.startsWith('Filter') ? ['name'] : [])];
    children(node, skip).forEach(walk);
  };
  walk(root);
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const s of used) {
    const name = String(s.value);
    if (known.has(name) || bound.has(name) || GLOBALS.has(name) || seen.has(name)) continue;
    seen.add(name);
    problems.push({ file: part.file, line: s.lineno + 1, key, message: `unknown variable: ${name}` });
  }
  return problems;
}

/**
 * Checks a template against sample contexts: unknown variables, syntax errors, and (for stages that label items) a
 * template whose messages never contain the items. Returns problems as FILE:LINE; [] when it renders.
 */
export function checkTemplate(t: PromptTemplate, samples: { context: object; mustContain: string[] }[]): Problem[] {
  const key = `prompts.${t.stage}`;
  const known = new Set(samples.flatMap((s) => Object.keys(s.context)));
  const problems = [t.system, t.user].flatMap((p) => unknownVariables(p, key, known));
  if (problems.length) return problems;
  for (const s of samples) {
    let text: string;
    try {
      text = renderMessages(t, s.context)
        .map((m) => m.content)
        .join('\n');
    } catch (err) {
      if (err instanceof InputError) return err.problems;
      throw err;
    }
    const missing = s.mustContain.filter((x) => !text.includes(x));
    if (missing.length) {
      problems.push({
        file: t.user.file,
        line: 1,
        key,
        message: `the rendered prompt never shows what it must: ${missing.map((x) => JSON.stringify(x)).join(', ')}`,
      });
      break;
    }
  }
  return problems;
}
