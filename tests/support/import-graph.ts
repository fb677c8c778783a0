// The project's own import graph (static, type-only and dynamic imports between its files), its cycles and layer breaks.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  from: string;
  to: string;
  /** `import type …` / `export type … from`: erased at run time, still a design dependency. */
  typeOnly: boolean;
}

const SOURCE = /\.(ts|mts|mjs)$/;

/** Every .ts/.mjs file under `roots` (files or folders, relative to `base`), as paths relative to `base`. */
export function projectFiles(base: string, roots: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) if (name !== 'node_modules') walk(join(abs, name));
    } else if (SOURCE.test(abs) && !abs.endsWith('.d.ts')) out.push(relative(base, abs).split(sep).join('/'));
  };
  for (const r of roots) walk(resolve(base, r));
  return out;
}

/** The edges between `files` (relative to `base`): specifiers `./x.js` resolve to `./x.ts` as NodeNext does. */
export function importEdges(base: string, files: readonly string[]): ImportEdge[] {
  const known = new Set(files);
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(join(base, file), 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const add = (spec: string, typeOnly: boolean) => {
      if (!spec.startsWith('.')) return;
      const target = relative(base, resolve(base, dirname(file), spec))
        .split(sep)
        .join('/');
      const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.mjs$/, '.mts')];
      const to = candidates.find((c) => known.has(c));
      if (to) edges.push({ from: file, to, typeOnly });
    };
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const clause = node.importClause;
        const typeOnly =
          !!clause &&
          (clause.isTypeOnly ||
            (!clause.name &&
              !!clause.namedBindings &&
              ts.isNamedImports(clause.namedBindings) &&
              clause.namedBindings.elements.length > 0 &&
              clause.namedBindings.elements.every((e) => e.isTypeOnly)));
        add(node.moduleSpecifier.text, typeOnly);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier.text, node.isTypeOnly);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [arg] = node.arguments;
        if (arg && ts.isStringLiteralLike(arg)) add(arg.text, false);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

/** Import cycles (strongly connected components of more than one file, or a file importing itself), each sorted. */
export function importCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!next.has(e.from)) next.set(e.from, new Set());
    next.get(e.from)!.add(e.to);
    if (!next.has(e.to)) next.set(e.to, new Set());
  }
  // Tarjan's strongly connected components, iteration-free recursion is fine at this project's size.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next.get(v)?.has(v)) cycles.push(component.sort());
    }
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) connect(v);
  return cycles;
}

/** A file's layer: `lib/<folder>` for domain modules, else its top-level folder (or the file itself, e.g. `worker.ts`). */
export function layerOf(file: string): string {
  if (file === CONTRACT) return file;
  if (file.startsWith(`${CONNECTION}.`) || file.startsWith(`${CONNECTION}-`)) return CONNECTION;
  const parts = file.split('/');
  if (parts[0] === 'lib' && parts.length > 2) return `lib/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : file;
}

/** The workflows' contract with their clients (Query/Update definitions, names): a layer of its own, which clients may import. */
export const CONTRACT = 'workflows/contract.ts';

/** The one module that connects to Temporal (client/connection*.ts): clients and workers both use it. */
export const CONNECTION = 'client/connection';

/** Edges that cross layers against `allowed` (layer → layers it may import; its own layer is always allowed). */
export function layerViolations(
  edges: readonly ImportEdge[],
  allowed: Readonly<Record<string, readonly string[]>>,
): string[] {
  const out: string[] = [];
  for (const e of edges) {
    const from = layerOf(e.from);
    const to = layerOf(e.to);
    if (from === to) continue;
    const rule = allowed[from];
    if (!rule) out.push(`${e.from} → ${e.to}: layer ${from} has no rule`);
    else if (!rule.includes(to) && !(e.typeOnly && rule.includes(`type:${to}`)))
      out.push(`${e.from} → ${e.to}: ${from} may not import ${to}`);
  }
  return out;
}
