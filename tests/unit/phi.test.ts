// lib/dataset/phi.ts: PHI-like spans in realistic clinical sentences, and no findings on vitals, doses, scores and other clinical numbers.
import { describe, expect, it } from 'vitest';
import { PHI_KINDS, phiKinds, scanPhi, type PhiKind } from '../../lib/dataset/phi.js';

const POSITIVES: [string, PhiKind, string][] = [
  ['Seen by Dr. Sarah Johnson for memory complaints.', 'name', 'Dr. Sarah Johnson'],
  ["Mrs. O'Brien was brought in by her daughter.", 'name', "Mrs. O'Brien"],
  ['Discussed with Mr Patel, who agrees with the plan.', 'name', 'Mr Patel'],
  ['Referred to Dr. J. Alvarez in neurology.', 'name', 'Dr. J. Alvarez'],
  ['Ms. Nguyen reports she gets lost driving.', 'name', 'Ms. Nguyen'],
  ['MMSE was 22/30 on 03/14/2019.', 'date', '03/14/2019'],
  ['Admitted 2019-01-02 for delirium.', 'date', '2019-01-02'],
  ['Follow-up scheduled for January 5, 2020 with neurology.', 'date', 'January 5, 2020'],
  ['Last seen Jan 5 in clinic.', 'date', 'Jan 5'],
  ['On 5 March 2021 she fell at home.', 'date', '5 March 2021'],
  ['Symptoms began in March 2019.', 'date', 'March 2019'],
  ['Call her son at (617) 555-0123 with results.', 'phone', '(617) 555-0123'],
  ["Daughter's cell 617-555-0199.", 'phone', '617-555-0199'],
  ['Contact number 555.867.5309 after 5 pm.', 'phone', '555.867.5309'],
  ['Email results to jane.doe@example.com today.', 'email', 'jane.doe@example.com'],
  ['MRN: 00482913, seen in memory clinic.', 'mrn', 'MRN: 00482913'],
  ['Patient ID 7654321 on the requisition.', 'mrn', 'Patient ID 7654321'],
  ['Chart 98765432 reviewed.', 'mrn', '98765432'],
  ['SSN 123-45-6789 on file.', 'ssn', 'SSN 123-45-6789'],
  ['Insurance form lists 078-05-1120.', 'ssn', '078-05-1120'],
  ['Lives at 42 Maple Street with her husband.', 'address', '42 Maple Street'],
  ['Moved to 1600 Pennsylvania Ave. last year.', 'address', '1600 Pennsylvania Ave.'],
  ['Found wandering near 7 W Elm Rd at night.', 'address', '7 W Elm Rd'],
  ['See https://portal.example.org/patient/123 for records.', 'url', 'https://portal.example.org/patient/123'],
  ['Caregiver resources at www.alz.org.', 'url', 'www.alz.org'],
];

const NEGATIVES: string[] = [
  'BP 120/80, HR 72, RR 16.',
  'Blood pressure 135/85 mmHg, pulse 68, SpO2 98%.',
  'Donepezil 10 mg daily at bedtime.',
  'Continue memantine 10 mg twice daily.',
  'MMSE 22/30, down from 26/30.',
  'MoCA score of 18/30 with 1/5 on delayed recall.',
  'Alert and oriented x3.',
  'Vitamin B12 level 245 pg/mL, TSH 2.35.',
  'Urine culture grew 1000000 CFU/mL E. coli.',
  'Platelets 250,000, WBC 7.5.',
  'She repeats questions 3-4 times per hour.',
  'Weight 154 lb, BMI 24.1.',
  'He may need help with bathing and dressing.',
  'MS lesions were not seen on MRI.',
  "Takes St. John's wort for mood.",
  'Diagnosed with Alzheimer disease in 2019.',
  'Follow up with Dr. in 2 weeks.',
  'ICD-10 G30.9, Alzheimer disease, unspecified.',
  'Gait speed 0.8 m/s over 4 m.',
  'Trail Making Test B completed in 180 seconds.',
  'Walks 10000 steps a day with her husband.',
  'Clock drawing 3/4, animal naming 12 in 60 seconds.',
  'May continue rivastigmine 4.6 mg/24 h patch.',
  'Lives at home on the 2nd floor with her daughter.',
  'Hemoglobin A1c 6.5%, LDL 100 mg/dL.',
  'Sodium 138, potassium 4.1, creatinine 1.02.',
  'Denies memory loss; seen by Dr. in clinic.',
];

describe('scanPhi', () => {
  it.each(POSITIVES)('finds PHI in %j', (text, kind, match) => {
    const found = scanPhi(text);
    expect(found.map((f) => [f.kind, f.match])).toContainEqual([kind, match]);
    const f = found.find((x) => x.kind === kind)!;
    expect(text.slice(f.start, f.end)).toBe(f.match);
  });

  it.each(NEGATIVES)('finds nothing in %j', (text) => {
    expect(scanPhi(text)).toEqual([]);
  });

  it('returns sorted, non-overlapping spans and distinct kinds in PHI_KINDS order', () => {
    const text = 'Dr. Lee called 617-555-0100 on 2/3/2020 about MRN 1234567; email lee@example.org.';
    const found = scanPhi(text);
    expect(found.map((f) => f.kind)).toEqual(['name', 'phone', 'date', 'mrn', 'email']);
    for (let i = 1; i < found.length; i++) expect(found[i]!.start).toBeGreaterThanOrEqual(found[i - 1]!.end);
    expect(phiKinds(text)).toEqual(['name', 'date', 'phone', 'email', 'mrn']);
    expect(phiKinds('Oriented x3, MMSE 24/30.')).toEqual([]);
    expect([...PHI_KINDS]).toEqual(['name', 'date', 'phone', 'email', 'ssn', 'mrn', 'address', 'url']);
  });

  it('lets an e-mail or URL win over the numbers inside it', () => {
    expect(scanPhi('Portal: https://example.org/mrn/12345678/notes').map((f) => f.kind)).toEqual(['url']);
    expect(scanPhi('Reach 6175550100@vtext.com for texts.').map((f) => f.kind)).toEqual(['email']);
  });
});
