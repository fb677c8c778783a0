// lib/config/taxonomy.ts: the shipped taxonomy, every rejection with its line and key path, and the prompt guideline text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { guidelineText, labelIds, loadTaxonomy } from '../../lib/config/taxonomy.js';
import { InputError, type Problem } from '../../lib/config/problems.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

const SHIPPED = join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml');

/** A small valid taxonomy, one entry per line; comments give the 1-based line numbers. */
function baseLines(): string[] {
  return [
    'id: tiny', // 1
    'version: 3', // 2
    'labels:', // 3
    '  - id: memory_loss', // 4
    '    name: Memory loss', // 5
    '    definition: The patient forgets recent events or repeats questions.', // 6
    '    cues: [forgetful, repeats questions]', // 7
    '  - id: falls', // 8
    '    name: Falls', // 9
    '    definition: The patient has fallen or is at risk of falling.', // 10
    'rules:', // 11
    '  - Denied findings are not labelled.', // 12
    'examples:', // 13
    '  - text: She is forgetful.', // 14
    '    labels:', // 15
    '      - memory_loss', // 16
    '  - text: No falls.', // 17
    '    labels: []', // 18
  ];
}

function writeTaxonomy(edits: Record<number, string | string[]> = {}): string {
  const out: string[] = [];
  baseLines().forEach((l, i) => {
    const e = edits[i + 1];
    if (e === undefined) out.push(l);
    else out.push(...(Array.isArray(e) ? e : [e]));
  });
  const dir = mkdtempSync(join(tmpdir(), 'clinsynth-tax-test-'));
  const file = join(dir, 'taxonomy.yaml');
  writeFileSync(file, out.join('\n') + '\n');
  return file;
}

function problemsOf(file: string): Problem[] {
  let caught: unknown;
  try {
    loadTaxonomy(file);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(InputError);
  return (caught as InputError).problems;
}

describe('the shipped taxonomy', () => {
  const tax = loadTaxonomy(SHIPPED);

  it('loads with 8 labels, version "1", each with a definition and cues', () => {
    expect(tax.id).toBe('ad-signs-symptoms');
    expect(tax.version).toBe('1');
    expect(tax.unit).toBe('sentence');
    expect(tax.noneLabel).toBe('none');
    expect(tax.labels).toHaveLength(8);
    expect(labelIds(tax)).toEqual([
      'cognitive_impairment',
      'neuropsychiatric_symptoms',
      'notice_by_others',
      'physiological_changes',
      'requiring_assistance',
      'cognitive_assessment',
      'dementia_diagnosis',
      'dementia_treatment',
    ]);
    for (const l of tax.labels) {
      expect(l.definition.length, l.id).toBeGreaterThan(20);
      expect(l.cues.length, l.id).toBeGreaterThan(0);
      expect(l.name.trim().length, l.id).toBeGreaterThan(0);
    }
    expect(new Set(labelIds(tax)).size).toBe(8);
    expect(tax.rules.length).toBeGreaterThan(0);
    expect(tax.examples.length).toBeGreaterThan(0);
    for (const ex of tax.examples) for (const l of ex.labels) expect(labelIds(tax)).toContain(l);
  });

  it('guidelineText contains every label id, each rule and each example', () => {
    const text = guidelineText(tax);
    for (const l of tax.labels) {
      expect(text).toContain(`- ${l.id} (${l.name}): `);
      expect(text).toContain(l.definition);
      for (const cue of l.cues) expect(text).toContain(cue);
    }
    tax.rules.forEach((r, i) => expect(text).toContain(`${i + 1}. ${r}`));
    for (const ex of tax.examples) {
      expect(text).toContain(`"${ex.text}" -> ${ex.labels.length ? ex.labels.join(', ') : '(no labels)'}`);
    }
    expect(text).toContain('(no labels)');
    // Stable: the same taxonomy always gives the same text (it is part of every LLM cache key).
    expect(guidelineText(loadTaxonomy(SHIPPED))).toBe(text);
  });
});

describe('loadTaxonomy on small files', () => {
  it('a valid file loads, with defaults and the version as a string', () => {
    const tax = loadTaxonomy(writeTaxonomy());
    expect(tax.version).toBe('3');
    expect(tax.noneLabel).toBe('none');
    expect(tax.labels[1]!.cues).toEqual([]);
    expect(tax.examples[1]!.labels).toEqual([]);
    const text = guidelineText(tax);
    expect(text).toContain('- falls (Falls): The patient has fallen or is at risk of falling. Cues: .');
    expect(text).toContain('1. Denied findings are not labelled.');
    expect(text).toContain('- "She is forgetful." -> memory_loss');
    expect(text).toContain('- "No falls." -> (no labels)');
  });

  it('guidelineText leaves out empty rule and example sections', () => {
    const tax = loadTaxonomy(writeTaxonomy({ 11: [], 12: [], 13: [], 14: [], 15: [], 16: [], 17: [], 18: [] }));
    const text = guidelineText(tax);
    expect(text).not.toContain('Rules:');
    expect(text).not.toContain('Examples:');
    expect(text).toContain('memory_loss');
  });

  it('duplicate label id', () => {
    const file = writeTaxonomy({ 8: '  - id: memory_loss' });
    const problems = problemsOf(file);
    expect(problems).toEqual([{ file, line: 8, key: 'labels.1.id', message: 'duplicate label id "memory_loss"' }]);
  });

  it('unknown label in an example', () => {
    const file = writeTaxonomy({ 16: ['      - memory_loss', '      - wandering'] });
    const problems = problemsOf(file);
    expect(problems).toEqual([{ file, line: 17, key: 'examples.0.labels.1', message: 'unknown label "wandering"' }]);
  });

  it('label id equal to the none label', () => {
    const file = writeTaxonomy({ 8: '  - id: nothing', 1: ['id: tiny', 'noneLabel: nothing'] });
    const problems = problemsOf(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file, line: 9, key: 'labels.1.id' });
    expect(problems[0]!.message).toMatch(/none label/);
    // The default none label too.
    const p2 = problemsOf(writeTaxonomy({ 4: '  - id: none' }));
    expect(p2[0]).toMatchObject({ line: 4, key: 'labels.0.id' });
  });

  it('bad id format', () => {
    const file = writeTaxonomy({ 8: '  - id: Falls-Risk' });
    const problems = problemsOf(file);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      file,
      line: 8,
      key: 'labels.1.id',
      message: 'label id must be lower_snake_case',
    });
  });

  it('too-short definition, unknown key and no labels', () => {
    const short = problemsOf(writeTaxonomy({ 10: '    definition: Fell.' }));
    expect(short[0]).toMatchObject({ line: 10, key: 'labels.1.definition' });
    const unknown = problemsOf(writeTaxonomy({ 9: ['    name: Falls', '    cue: [fell]'] }));
    expect(unknown[0]).toMatchObject({ line: 10, key: 'labels.1.cue' });
    const none = problemsOf(
      writeTaxonomy({ 3: 'labels: []', 4: [], 5: [], 6: [], 7: [], 8: [], 9: [], 10: [], 16: '      - x' }),
    );
    expect(none[0]).toMatchObject({ line: 3, key: 'labels', message: 'at least one label is required' });
  });

  it('several problems are reported together, in file order', () => {
    const file = writeTaxonomy({ 8: '  - id: memory_loss', 16: '      - wandering' });
    expect(problemsOf(file).map((p) => [p.line, p.key])).toEqual([
      [8, 'labels.1.id'],
      [16, 'examples.0.labels.0'],
    ]);
  });
});
