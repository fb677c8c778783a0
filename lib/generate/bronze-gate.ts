// The bronze sentence gate: an LLM-written item must read like one note sentence, not a label, placeholder or copy.
import { normaliseSentence } from '../corpus/sentences.js';
import { guidelineText, type Taxonomy } from '../config/taxonomy.js';

/** Fewest words a bronze sentence may have ("Pt forgets appointments." has three). */
export const MIN_WORDS = 3;
/** Most words: longer items are run-on answers, not one sentence or note line. */
export const MAX_WORDS = 80;

/** What the gate refuses, with the reason kept beside the refused text. */
export interface RejectedSentence {
  text: string;
  reason: string;
}

/** Openings that echo the bronze prompt's own headings and style lines instead of writing a sentence. */
const PROMPT_ECHOES = [
  'source of the information',
  'severity of the findings',
  'note type',
  'abbreviations',
  'target labels',
  'writing rules',
  'style:',
];

/** Leading list markers a model puts before its items: "1. ", "2) ", "- ", "* ", "• ". */
const LIST_MARKER = /^\s*(?:\d{1,3}[.)]\s+|[-*•]\s+)/;

/** Removes one leading list marker; the rest of the item is kept as written. */
export function stripListMarker(text: string): string {
  return text.replace(LIST_MARKER, '').trim();
}

/** Consecutive words shared with the prompt from which an item counts as copied from it. */
export const PROMPT_COPY_WORDS = 7;

function wordsOf(text: string): string[] {
  return normaliseSentence(text)
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(' ')
    .filter(Boolean);
}

function ngrams(ws: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= ws.length; i++) out.push(ws.slice(i, i + n).join(' '));
  return out;
}

/**
 * Builds the gate for a taxonomy and the prompt the items answer (default: the guideline text). The returned
 * function gives null for an acceptable sentence, otherwise why not: too short or too long, mostly digits and
 * punctuation, a label id or name or a "Label: ..." heading, a placeholder (`snake_case` words, "..."), an echo of
 * the prompt's headings, a copy of a guideline example, or PROMPT_COPY_WORDS or more words in a row from the prompt
 * (a definition, a rule, an instruction: the prompt asks for new text).
 */
export function bronzeGate(
  taxonomy: Taxonomy,
  prompt: string = guidelineText(taxonomy),
): (text: string) => string | null {
  const labelTexts = new Set(
    taxonomy.labels.flatMap((l) => [l.id, l.name, l.id.replace(/_/g, ' ')].map(normaliseSentence)),
  );
  labelTexts.add(normaliseSentence(taxonomy.noneLabel));
  const examples = new Set(taxonomy.examples.map((e) => normaliseSentence(e.text)));
  const promptRuns = new Set(ngrams(wordsOf(prompt), PROMPT_COPY_WORDS));
  return (text: string): string | null => {
    const norm = normaliseSentence(text);
    if (labelTexts.has(norm)) return 'a label id or name, not a sentence';
    if (examples.has(norm)) return 'a copy of a guideline example';
    const colon = norm.indexOf(':');
    if (colon > 0 && labelTexts.has(normaliseSentence(norm.slice(0, colon))))
      return 'starts with a label heading ("Label: ...")';
    if (ngrams(wordsOf(text), PROMPT_COPY_WORDS).some((g) => promptRuns.has(g)))
      return `copies ${PROMPT_COPY_WORDS} or more words in a row from the prompt`;
    if (PROMPT_ECHOES.some((h) => norm.startsWith(h))) return "echoes the prompt's headings";
    if (/\w_\w/.test(text)) return 'contains a snake_case token (a label id or placeholder)';
    if (/\.\.\.|…/.test(text)) return 'contains an ellipsis placeholder';
    const words = text.split(/\s+/).filter((w) => /\p{L}/u.test(w));
    if (words.length < MIN_WORDS) return `fewer than ${MIN_WORDS} words`;
    if (words.length > MAX_WORDS) return `more than ${MAX_WORDS} words`;
    const visible = text.replace(/\s/g, '');
    const letters = visible.replace(/[^\p{L}]/gu, '').length;
    if (letters < visible.length * 0.6) return 'mostly digits and punctuation';
    return null;
  };
}
