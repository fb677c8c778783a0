// Clinical sentence splitter with exact character offsets, and sentence normalisation for de-duplication.

/** A sentence of a note: `note.slice(start, end) === text` (offsets are JS string indices, UTF-16 code units). */
export interface SentenceSpan {
  start: number;
  end: number;
  text: string;
}

/*
 * Conventions (chosen to match the project's gold data):
 * - An inline section header stays with its first sentence: "HISTORY OF PRESENT ILLNESS: The patient is ..." is one
 *   sentence, and so is "DIAGNOSES: 1. Dementia." (its first list item). A header alone on its line ("OBJECTIVE:")
 *   is a sentence of its own.
 * - Blank lines always end a sentence. A single line break ends one when the previous line ends with a colon, or the
 *   next line starts a header ("Neck: ...") or a list item ("2. ...", "- "), or the previous line has no end
 *   punctuation (nor a trailing comma/connective) and the next starts with a capital — except in hard-wrapped notes
 *   (see hardWrapWidth; as in MIMIC) where a line that fills the wrap width runs on. Any other line break
 *   is a space, and end punctuation decides.
 * - `.`, `?`, `!` (plus closing quotes/brackets) end a sentence when followed by whitespace and then a capital, a
 *   digit ("2/3 recall", "2. HTN"), an opening quote/bracket before a capital, or a bullet. Never after titles and
 *   Latin abbreviations (Dr., Mr., Mrs., Ms., St., Prof., vs., approx., e.g., i.e., cf.; "etc." only before a
 *   capital), list markers ("1. Dementia"), decimals or vitals ("98.6", "120/80"). A single capital is an initial
 *   ("John A. Smith", "J. R. Smith") unless a common sentence opener follows ("hepatitis C. No ...") or it follows a
 *   title or a number ("Dr. X. Exercise test ...": notes anonymise names as "Dr. X", "Ms. A").
 *   Dotted abbreviations (b.i.d., p.r.n., a.m. ...) and "Jan.", "No.", "Wt." end one only before a capital.
 * - A leading list marker ("3. ", "2)", "b. ", "IV. ", "- ") is left out of the span, so that the same item in
 *   different lists de-duplicates; spans are trimmed of whitespace.
 */

const NEVER_BREAK = new Set([
  'dr',
  'mr',
  'mrs',
  'ms',
  'messrs',
  'mmes',
  'prof',
  'st',
  'vs',
  'v',
  'approx',
  'e.g',
  'i.e',
  'eg',
  'ie',
  'cf',
  'viz',
  'fig',
  'figs',
  'al',
  'incl',
  'esp',
  'mt',
  'dept',
  'ref',
  'ca',
]);
const TITLES = new Set(['dr', 'mr', 'mrs', 'ms', 'prof', 'messrs', 'mmes']);
/** Words that start a sentence after "Dr. X." or "hepatitis C." (rather than continue a name after an initial). */
const STARTERS = new Set([
  'a',
  'an',
  'the',
  'he',
  'she',
  'it',
  'they',
  'we',
  'i',
  'you',
  'his',
  'her',
  'their',
  'its',
  'our',
  'this',
  'that',
  'these',
  'those',
  'there',
  'here',
  'patient',
  'pt',
  'mr',
  'mrs',
  'ms',
  'dr',
  'no',
  'on',
  'in',
  'at',
  'after',
  'before',
  'when',
  'while',
  'during',
  "she's",
  "he's",
  'per',
  'please',
  'will',
  'however',
  'also',
  'then',
  'today',
  'family',
  'mother',
  'father',
  'wife',
  'husband',
  'son',
  'daughter',
  'all',
  'both',
  'if',
  'for',
  'as',
  'since',
  'continue',
  'recheck',
  'follow',
  'return',
  'start',
  'stop',
  'denies',
  'negative',
  'positive',
  'normal',
  'status',
]);
/** Abbreviations that do not end a sentence when a number follows ("Jan. 5", "No. 2", "Wt. 150"). */
const BEFORE_NUMBER = new Set([
  'no',
  'nos',
  'vol',
  'pg',
  'pp',
  'p',
  'ext',
  'rm',
  'wt',
  'ht',
  'temp',
  'resp',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'gr',
  'pt',
]);

const CLOSERS = new Set(['"', "'", ')', ']', '}', '\u201d', '\u2019', '\u00bb']);
const OPENERS = new Set(['"', "'", '(', '[', '{', '\u201c', '\u2018', '\u00ab']);
const TERMINATORS = new Set(['.', '?', '!']);

const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/.test(c);
const isUpper = (c: string | undefined): boolean => c !== undefined && c !== c.toLowerCase() && c === c.toUpperCase();

/** A list marker: "2. ", "2) ", "2)Word", "a. ", "b) ", "IV. " (letters and roman numerals need a space after). */
const LIST_MARKER = /^(?:\d{1,3}(?:\.(?=\s)|\)(?=\s|\p{L}))|(?:[a-z]|[IVX]{1,4})[.)](?=\s))/u;
const BULLET = /^[-*\u2022\u00b7](?=\s)/u;
/** "Neck:", "Vital Signs:", "HISTORY OF PRESENT ILLNESS:", "GAIT/STATION:" at the start of a line. */
const HEADER_START = /^[A-Z][A-Za-z0-9/&()'-]*(?: [A-Za-z0-9/&()'-]+){0,6}:(?:\s|$)/;
const HEADER_ONLY = /^[A-Z][A-Za-z0-9/&()'-]*(?: [A-Za-z0-9/&()'-]+){0,6}:$/;
const LEADING_MARKER = /^(?:\d{1,3}(?:\.(?:\s+|$)|\)\s*)|(?:[a-z]|[IVX]{1,4})[.)](?:\s+|$)|[-*\u2022\u00b7](?:\s+|$))/u;

/** Splits a clinical note into trimmed sentences whose offsets map back exactly onto `text`. */
export function splitSentences(text: string): SentenceSpan[] {
  const out: SentenceSpan[] = [];
  for (const [segStart, segEnd] of segments(text)) splitSegment(text, segStart, segEnd, out);
  return out;
}

/** Blocks of lines between hard line breaks, as [start, end) ranges. */
function segments(text: string): Array<[number, number]> {
  const result: Array<[number, number]> = [];
  const wrapWidth = hardWrapWidth(text);
  let segStart = -1;
  let segEnd = -1;
  let prev = ''; // trimmed previous non-blank line of the current segment
  let pos = 0;
  while (pos <= text.length) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = text.length;
    const line = text.slice(pos, nl);
    const trimmed = line.trim();
    if (trimmed === '') {
      if (segStart >= 0) result.push([segStart, segEnd]);
      segStart = -1;
    } else {
      const lineStart = pos + (line.length - line.trimStart().length);
      const lineEnd = pos + line.trimEnd().length;
      if (segStart >= 0 && hardBreak(prev, trimmed, wrapWidth)) {
        result.push([segStart, segEnd]);
        segStart = -1;
      }
      if (segStart < 0) segStart = lineStart;
      segEnd = lineEnd;
      prev = trimmed;
    }
    pos = nl + 1;
  }
  if (segStart >= 0) result.push([segStart, segEnd]);
  return result;
}

/**
 * The width a note is hard-wrapped at, or 0 when its lines are paragraphs or lists. Wrapped: 90% of lines are at most
 * 100 characters, the longest of those is 50+, and 3+ lines that fill 75% of it run on into a next line.
 */
function hardWrapWidth(text: string): number {
  const lengths = text.split('\n').map((line) => line.trim().length);
  const nonBlank = lengths.filter((n) => n > 0).sort((x, y) => x - y);
  if (nonBlank.length < 4 || nonBlank[Math.floor(0.9 * (nonBlank.length - 1))]! > 100) return 0;
  const width = nonBlank.reduce((w, n) => (n <= 100 && n > w ? n : w), 0);
  if (width < 50) return 0;
  let runOn = 0;
  for (let i = 0; i + 1 < lengths.length; i++) if (lengths[i]! >= 0.75 * width && lengths[i + 1]! > 0) runOn++;
  return runOn >= 3 ? width : 0;
}

function hardBreak(a: string, b: string, wrapWidth: number): boolean {
  if (/:["')\]]*$/.test(a)) return true;
  if (LIST_MARKER.test(b) || BULLET.test(b) || HEADER_START.test(b)) return true;
  if (/[.?!]["')\]\u201d\u2019]*$/.test(a)) return false; // end punctuation decides, as within a line
  const first = b[0];
  if (!isUpper(first) && !(first !== undefined && OPENERS.has(first) && isUpper(b[1]))) return false;
  if (/[,;&/-]$/.test(a) || /\b(?:and|or|of|the|to|with|for|by|in|at|a|an|on|from|as|is|was)$/i.test(a)) return false;
  // In a hard-wrapped note a line that fills the width runs on; otherwise a line is a title or list entry.
  return wrapWidth === 0 || a.length < 0.75 * wrapWidth;
}

function splitSegment(text: string, segStart: number, segEnd: number, out: SentenceSpan[]): void {
  let sentStart = segStart;
  let p = segStart;
  const term = /[.?!]/g;
  while (p < segEnd) {
    term.lastIndex = p;
    const m = term.exec(text);
    if (!m || m.index >= segEnd) break;
    p = m.index;
    let q = p + 1;
    while (q < segEnd && TERMINATORS.has(text[q]!)) q++;
    while (q < segEnd && CLOSERS.has(text[q]!)) q++;
    if (q >= segEnd) break;
    if (!isSpace(text[q])) {
      p = q;
      continue;
    }
    let r = q;
    while (r < segEnd && isSpace(text[r])) r++;
    if (r >= segEnd) break;
    if (startsSentence(text, r, segEnd) && !abbreviationBlocks(text, p, sentStart, r)) {
      emit(text, sentStart, q, out);
      sentStart = r;
    }
    p = q;
  }
  emit(text, sentStart, segEnd, out);
}

function startsSentence(text: string, r: number, segEnd: number): boolean {
  const c = text[r];
  if (isUpper(c)) return true;
  if (c !== undefined && OPENERS.has(c) && isUpper(text[r + 1])) return true;
  if (c !== undefined && c >= '0' && c <= '9') return true; // "2/3 recall.", "3-4 weeks prior ...", "2. Hypertension."
  return BULLET.test(text.slice(r, Math.min(segEnd, r + 2)));
}

/** True when the period at `p` belongs to an abbreviation, initial or list marker rather than ending a sentence. */
function abbreviationBlocks(text: string, p: number, sentStart: number, next: number): boolean {
  if (text[p] !== '.') return false;
  let t = p;
  while (t > sentStart && !isSpace(text[t - 1])) t--;
  while (t < p && OPENERS.has(text[t]!)) t++;
  const token = text.slice(t, p);
  if (token === '') return false;
  const lower = token.toLowerCase();
  if (NEVER_BREAK.has(lower) && !/^[A-Z]$/.test(token)) return true;
  const digitNext = /\d/.test(text[next] ?? '');
  if (digitNext && (BEFORE_NUMBER.has(lower) || lower.includes('.'))) return true; // "Jan. 5", "p.o. 2 tablets"
  if (/^[A-Z]$/.test(token)) {
    // "John A. Smith", "by J. R. Smith": initials; "Ms. A. She ...", "hepatitis C. No ...": sentence ends.
    const after = /^[^\s]*/.exec(text.slice(next, next + 30))![0];
    if (STARTERS.has(after.replace(/[^A-Za-z']/g, '').toLowerCase())) return false;
    if (/^[A-Z]\.$/.test(after)) return true; // "J. R. Smith"
    // "Dr. X. Exercise test ...": MTSamples and MIMIC anonymise names, so a title + letter is a whole name.
    const before = /[^\s]*$/.exec(text.slice(Math.max(sentStart, t - 30), t).trimEnd())![0].replace(/\.$/, '');
    return !(TITLES.has(before.toLowerCase()) || /^\d+$/.test(before));
  }
  if (/^(?:\d{1,3}|[a-z]|[IVX]{1,4})$/.test(token)) {
    // "1. Dementia", "a. Dry skin", "II. Findings", "DIAGNOSES: 1. Dementia": a list marker, not a sentence end.
    const prefix = text.slice(sentStart, t).trim();
    if (prefix === '') return true;
    if (token === '1' && HEADER_ONLY.test(prefix)) return true;
  }
  return false;
}

function emit(text: string, start: number, end: number, out: SentenceSpan[]): void {
  while (start < end && isSpace(text[start])) start++;
  while (end > start && isSpace(text[end - 1])) end--;
  const marker = LEADING_MARKER.exec(text.slice(start, Math.min(end, start + 12)));
  if (marker && start + marker[0].length < end) start += marker[0].length;
  else if (marker) return; // a bare list marker
  if (end > start) out.push({ start, end, text: text.slice(start, end) });
}

const EDGE = /[\s\p{P}\p{S}]/u;

/** Lower-cased, NFKC, whitespace-collapsed text without surrounding punctuation: the key for de-duplication. */
export function normaliseSentence(text: string): string {
  // eslint-disable-next-line no-control-regex -- the ASCII range on purpose: ASCII text needs no NFKC
  let s = /^[\x00-\x7f]*$/.test(text) ? text : text.normalize('NFKC');
  s = s.toLowerCase().replace(/\s+/g, ' ');
  let a = 0;
  let b = s.length;
  while (a < b && EDGE.test(s[a]!)) a++;
  while (b > a && EDGE.test(s[b - 1]!)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}
