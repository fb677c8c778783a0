// PHI-like span scan of clinical sentences (names after titles, dates, phones, e-mail, ID numbers, addresses, URLs), tuned to leave vitals, doses and scores alone.

export const PHI_KINDS = ['name', 'date', 'phone', 'email', 'ssn', 'mrn', 'address', 'url'] as const;
export type PhiKind = (typeof PHI_KINDS)[number];

export interface PhiFinding {
  kind: PhiKind;
  /** UTF-16 offsets into the scanned text, end exclusive. */
  start: number;
  end: number;
  match: string;
}

const MONTH = String.raw`(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)`;
const DAY = String.raw`(?:3[01]|[12]\d|0?[1-9])`;
const MON_NUM = String.raw`(?:1[0-2]|0?[1-9])`;
const YEAR = String.raw`(?:19|20)\d{2}`;
/** Not glued to a neighbouring digit, letter or decimal point (so 120/80, 10.5, x3 never start or end a match). */
const L = String.raw`(?<![\w.\/-])`;
const R = String.raw`(?![\w\/]|[.,-]\d)`;
const UNITS = String.raw`(?:mg|mcg|µg|ug|g|kg|lbs?|ml|mL|dL|L|units?|IU|iu|U|cells|copies|CFU|cfu|mmol|mEq|%|\/)`;
const STREET = String.raw`(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Way|Terrace|Ter|Circle|Cir|Parkway|Pkwy|Highway|Hwy|Square|Sq)`;

interface Detector {
  kind: PhiKind;
  re: RegExp;
}

/** In priority order: a later detector's match that overlaps an earlier one's is dropped. */
const DETECTORS: Detector[] = [
  { kind: 'url', re: /\b(?:https?:\/\/|www\.)[^\s<>"'()[\]{}]+[^\s<>"'()[\]{}.,;:!?]/g },
  { kind: 'email', re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g },
  {
    kind: 'ssn',
    re: new RegExp(
      String.raw`(?:\b(?:SSN|SS#|Social Security(?: Number| No\.?)?)\s*[:#]?\s*\d{3}-?\d{2}-?\d{4}|${L}\d{3}-\d{2}-\d{4})${R}`,
      'g',
    ),
  },
  {
    kind: 'phone',
    re: new RegExp(
      String.raw`(?:(?<![\w+])\+?1[\s.-]?)?(?:\(\d{3}\)\s?\d{3}[\s.-]\d{4}|${L}\d{3}([.-])\d{3}\1\d{4}|${L}\d{3} \d{3} \d{4})${R}`,
      'g',
    ),
  },
  {
    kind: 'mrn',
    re: new RegExp(
      String.raw`\b(?:MRN|MR#|Medical Record(?: Number| No\.?| #)?|Acct(?:ount)?(?: No\.?| Number| #)?|Patient ID|Pt ID|ID)\s*(?:#|:|No\.?)?\s*[A-Z]{0,3}-?\d{4,}${R}` +
        // Any run of 7+ digits that is not a measurement (no decimal point or separator around it, no unit after it).
        String.raw`|${L}\d{7,}${R}(?!\s*${UNITS}(?![A-Za-z]))`,
      'g',
    ),
  },
  {
    kind: 'date',
    re: new RegExp(
      [
        String.raw`${L}${MON_NUM}([\/-])${DAY}\1(?:${YEAR}|\d{2})${R}`, // 1/2/2019, 01-02-19
        String.raw`${L}${YEAR}([\/-])(?:1[0-2]|0[1-9])\2(?:3[01]|[12]\d|0[1-9])${R}`, // 2019-01-02
        String.raw`\b${MONTH}\.?\s+${DAY}(?:st|nd|rd|th)?(?!\d)(?:,?\s+${YEAR})?(?![\w\/])`, // January 5, 2019 / Jan 5
        String.raw`\b${DAY}(?:st|nd|rd|th)?\s+(?:of\s+)?${MONTH}\.?(?:,?\s+${YEAR})?\b`, // 5 March 2021
        String.raw`\b${MONTH}\.?,?\s+${YEAR}\b`, // March 2019
      ].join('|'),
      'g',
    ),
  },
  {
    kind: 'address',
    re: new RegExp(
      String.raw`(?<![\w.\/:-])\d{1,6}[A-Z]?\s+(?:[NSEW]\.?\s+)?(?:(?:\d+(?:st|nd|rd|th)|[A-Z][a-z][A-Za-z'’.-]*)\s+){1,4}${STREET}\b\.?` +
        String.raw`|\b(?:P\.?\s?O\.?\s+Box|POB)\s+\d+\b`,
      'g',
    ),
  },
  {
    kind: 'name',
    // A courtesy title, then one or two capitalised words (initials allowed): Dr. Sarah J. Johnson, Mrs. O'Brien.
    re: /\b(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof)\.?[ \t]+(?:[A-Z]\.[ \t]*)?[A-Z][A-Za-z'’-]*[a-z](?:[ \t]+(?:[A-Z]\.[ \t]*)?[A-Z][A-Za-z'’-]*[a-z])?/g,
  },
];

/** Words that follow a title without being a name ("Dr. Office", "Ms. Patient"): not reported. */
const NOT_NAMES = new Set([
  'Patient',
  'Pt',
  'Office',
  'Visit',
  'Appointment',
  'Note',
  'Notes',
  'Clinic',
  'Orders',
  'Order',
]);

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end;
}

/** PHI-like spans of `text`, sorted by start, never overlapping. */
export function scanPhi(text: string): PhiFinding[] {
  const found: PhiFinding[] = [];
  for (const { kind, re } of DETECTORS) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      let match = m[0];
      if (kind === 'name') {
        const first = match.replace(/^\S+\s+(?:[A-Z]\.\s*)?/, '').split(/\s+/)[0] ?? '';
        if (NOT_NAMES.has(first)) continue;
      }
      if (kind === 'address' || kind === 'date') match = match.replace(/\s+$/, '');
      const f: PhiFinding = { kind, start: m.index, end: m.index + match.length, match };
      if (found.some((g) => overlaps(f, g))) continue;
      found.push(f);
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** The distinct kinds found in `text`, in PHI_KINDS order ([] when clean). */
export function phiKinds(text: string): PhiKind[] {
  const kinds = new Set(scanPhi(text).map((f) => f.kind));
  return PHI_KINDS.filter((k) => kinds.has(k));
}
