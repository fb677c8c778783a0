// lib/generate/bronze-gate.ts: what a written bronze item must be to count as a note sentence.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bronzeGate, MAX_WORDS, stripListMarker } from '../../lib/generate/bronze-gate.js';
import { loadTaxonomy } from '../../lib/config/taxonomy.js';
import { PROJECT_ROOT } from '../../lib/config/paths.js';

const taxonomy = loadTaxonomy(join(PROJECT_ROOT, 'taxonomy/ad-signs-symptoms.yaml'));
const gate = bronzeGate(taxonomy);

describe('bronzeGate', () => {
  it('lets real note sentences through, short ones and non-ASCII ones included', () => {
    for (const ok of [
      'Pt forgets appointments.',
      'Per daughter, pt has been getting lost while driving to familiar places.',
      'MoCA 18/30, deficits in delayed recall and orientation.',
      'Patient denies memory loss or confusion.',
      'La patiente oublie ses rendez-vous depuis deux mois.',
    ]) {
      expect(gate(ok), ok).toBeNull();
    }
  });

  it('refuses what small models write instead of sentences, saying why', () => {
    const refused: [string, RegExp][] = [
      ['cognitive_impairment', /label id or name/],
      ['Neuropsychiatric symptoms', /label id or name/],
      ['cognitive impairment', /label id or name/],
      ['sentence_1', /snake_case/],
      ['The patient shows requires_assistance daily.', /snake_case/],
      ['Per daughter, ...', /ellipsis/],
      ['Forgets things…', /ellipsis/],
      ['Dementia diagnosis.', /label id or name/],
      ['Forgets names.', /fewer than 3 words/],
      ['source of the information', /echoes the prompt/],
      ['Severity of the findings described: mild.', /echoes the prompt/],
      ['2.2.1.3.1', /fewer than 3 words/],
      ['1. 2. 3. 4. 5. 6. 7. a b c 8. 9. 10. 11. 12. 13. 14. 15. 16. 17. 18.', /digits and punctuation/],
      [Array.from({ length: MAX_WORDS + 1 }, () => 'dementia').join(' '), /more than 80 words/],
    ];
    for (const [text, why] of refused) expect(gate(text), text).toMatch(why);
  });

  it('refuses "Label: ..." headings and copied label definitions', () => {
    const label = taxonomy.labels.find((l) => l.id === 'dementia_diagnosis')!;
    expect(gate('Dementia diagnosis: Dementia disease diagnosis.')).toMatch(/label heading/);
    expect(gate(`${label.name}: ${label.definition}`)).toMatch(/label heading/);
    expect(gate(`The note says ${label.definition}`)).toMatch(/7 or more words in a row from the prompt/);
    expect(gate('Diagnosis: probable Alzheimer disease, moderate stage.')).toBeNull();
  });

  it('refuses 7 words in a row from the prompt it answers, not 6', () => {
    const prompt = 'Every sentence must express all of these labels and no other label of the guideline.';
    const withPrompt = bronzeGate(taxonomy, prompt);
    expect(withPrompt('Every sentence must express all of these labels, she says.')).toMatch(/from the prompt/);
    expect(withPrompt('Every sentence must express all of them, she says.')).toBeNull();
  });

  it('refuses copies of the guideline examples, whatever their case and spacing', () => {
    const example = taxonomy.examples[0]!.text;
    expect(gate(example)).toMatch(/guideline example/);
    expect(gate(`  ${example.toUpperCase()}  `)).toMatch(/guideline example/);
  });
});

describe('stripListMarker', () => {
  it('removes one leading list marker and nothing else', () => {
    expect(stripListMarker('1. Pt forgets appointments.')).toBe('Pt forgets appointments.');
    expect(stripListMarker('12) Pt forgets appointments.')).toBe('Pt forgets appointments.');
    expect(stripListMarker('- Pt forgets appointments.')).toBe('Pt forgets appointments.');
    expect(stripListMarker('• Pt forgets appointments.')).toBe('Pt forgets appointments.');
    expect(stripListMarker('MMSE 24/30.')).toBe('MMSE 24/30.');
    expect(stripListMarker('3.5 mg daily of donepezil was started.')).toBe('3.5 mg daily of donepezil was started.');
  });
});
