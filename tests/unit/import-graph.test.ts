// The project's import graph: no cycles among lib/, activities/, workflows/, client/, and layers import one way only.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importCycles, importEdges, layerViolations, projectFiles } from '../support/import-graph.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

const ROOTS = ['lib', 'activities', 'workflows', 'client', 'worker.ts'];

/**
 * What each layer may import (its own layer always). `client/` → `workflows/`/`activities/` → `lib/<domain>/` →
 * `lib/run/` (run directory, state, records) → `lib/config/` (experiment, study, taxonomy, file problems); `type:X` allows type-only imports of X (a workflow names its activities' types, never their code).
 * The same order is written in each lib folder's README.md.
 */
const LAYERS: Record<string, string[]> = {
  'lib/config': [],
  'lib/run': ['lib/config'],
  'lib/corpus': ['lib/config', 'lib/run'],
  'lib/llm': ['lib/config', 'lib/run'],
  'lib/dataset': ['lib/config', 'lib/run', 'lib/corpus'],
  'lib/evaluate': ['lib/config', 'lib/run'],
  'lib/generate': ['lib/config', 'lib/run', 'lib/corpus', 'lib/llm', 'lib/dataset', 'lib/evaluate'],
  'lib/model': ['lib/config', 'lib/run', 'lib/dataset', 'lib/evaluate'],
  'lib/review': ['lib/config', 'lib/run', 'lib/corpus', 'lib/dataset', 'lib/model'],
  'lib/fidelity': ['lib/config', 'lib/run', 'lib/dataset', 'lib/model'],
  'lib/report': [
    'lib/config',
    'lib/run',
    'lib/llm',
    'lib/dataset',
    'lib/evaluate',
    'lib/model',
    'lib/review',
    'lib/fidelity',
  ],
  activities: [
    'lib/config',
    'lib/run',
    'lib/corpus',
    'lib/llm',
    'lib/generate',
    'lib/dataset',
    'lib/evaluate',
    'lib/model',
    'lib/review',
    'lib/report',
    'lib/fidelity',
  ],
  'workflows/contract.ts': ['lib/config', 'lib/run'],
  workflows: ['workflows/contract.ts', 'lib/config', 'lib/run', 'lib/llm', 'lib/evaluate', 'type:activities'],
  'client/connection': [],
  'worker.ts': [
    'activities',
    'workflows',
    'workflows/contract.ts',
    'lib/config',
    'lib/run',
    'lib/llm',
    'client/connection',
  ],
  client: [
    'worker.ts',
    'client/connection',
    'activities',
    'workflows/contract.ts',
    'type:workflows',
    'lib/config',
    'lib/run',
    'lib/corpus',
    'lib/llm',
    'lib/generate',
    'lib/dataset',
    'lib/evaluate',
    'lib/model',
    'lib/review',
    'lib/report',
    'lib/fidelity',
  ],
};

function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-graph-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('import graph of this project', () => {
  const files = projectFiles(PROJECT_ROOT, ROOTS);
  const edges = importEdges(PROJECT_ROOT, files);

  it('reads the real tree (so an empty graph cannot pass)', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: 'activities/run.ts', to: 'lib/dataset/merge.ts', typeOnly: false });
  });

  it('has no import cycle', () => {
    expect(importCycles(edges)).toEqual([]);
  });

  it('imports one way: each layer only the layers below it', () => {
    expect(layerViolations(edges, LAYERS)).toEqual([]);
  });

  it('keeps at most 10 files directly in lib/, and every lib folder says what it owns', () => {
    const lib = join(PROJECT_ROOT, 'lib');
    const entries = readdirSync(lib, { withFileTypes: true });
    expect(entries.filter((e) => e.isFile()).length).toBeLessThanOrEqual(10);
    const folders = entries.filter((e) => e.isDirectory()).map((e) => e.name);
    for (const f of folders) {
      expect(existsSync(join(lib, f, 'README.md')), `lib/${f}/README.md`).toBe(true);
      expect(Object.keys(LAYERS), `lib/${f} has a layer rule`).toContain(`lib/${f}`);
    }
  });
});

describe('import graph checker', () => {
  it('finds a cycle when one is introduced, including through a dynamic or type-only import', () => {
    const dir = writeTree({
      'lib/a/one.ts': "import { two } from './two.js';\nexport const one = () => two();\n",
      'lib/a/two.ts':
        "import type { Three } from '../b/three.js';\nexport const two = (): Three | undefined => undefined;\n",
      'lib/b/three.ts': "export type Three = string;\nexport const load = () => import('../a/one.js');\n",
      'lib/b/alone.ts': "import { load } from './three.js';\nexport const alone = load;\n",
    });
    try {
      const edges = importEdges(dir, projectFiles(dir, ['lib']));
      expect(importCycles(edges)).toEqual([['lib/a/one.ts', 'lib/a/two.ts', 'lib/b/three.ts']]);
      // Break the cycle and the checker agrees.
      writeFileSync(join(dir, 'lib/b/three.ts'), 'export type Three = string;\n');
      expect(importCycles(importEdges(dir, projectFiles(dir, ['lib'])))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds a self-import and the former datasets → dataset-card → datasets circle', () => {
    const dir = writeTree({
      'lib/self.ts': "export * from './self.js';\n",
      'lib/dataset/merge.ts':
        "import { writeDatasetCard } from './card.js';\nexport interface SafetySummary { n: number }\nexport const m = writeDatasetCard;\n",
      'lib/dataset/card.ts':
        "import type { SafetySummary } from './merge.js';\nexport const writeDatasetCard = (s: SafetySummary) => s.n;\n",
    });
    try {
      const cycles = importCycles(importEdges(dir, projectFiles(dir, ['lib'])));
      expect(cycles).toContainEqual(['lib/self.ts']);
      expect(cycles).toContainEqual(['lib/dataset/card.ts', 'lib/dataset/merge.ts']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an import against the layer order', () => {
    const dir = writeTree({
      'lib/run/basics.ts': "import { merge } from '../dataset/merge.js';\nexport const b = merge;\n",
      'lib/dataset/merge.ts': 'export const merge = 1;\n',
      'workflows/flow.ts':
        "import type * as acts from '../activities/run.js';\nimport { b } from '../lib/run/basics.js';\nexport type A = typeof acts; export const c = b;\n",
      'activities/run.ts': 'export const act = 1;\n',
    });
    try {
      const violations = layerViolations(
        importEdges(dir, projectFiles(dir, ['lib', 'workflows', 'activities'])),
        LAYERS,
      );
      expect(violations).toEqual(['lib/run/basics.ts → lib/dataset/merge.ts: lib/run may not import lib/dataset']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
