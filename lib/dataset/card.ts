// The run's datasets/README.md: a Hugging Face dataset card (configs for the Parquet exports, counts, provenance, licence notes).
import { join } from 'node:path';
import { writeFileAtomic } from '../run/run-dir.js';
import type { Source } from '../config/experiment.js';
import { hfCardYaml, type HfExport } from './hf-export.js';

/** What the safety checks found; flagged silver/bronze rows are kept in the database but are not usable. */
export interface SafetySummary {
  /** Rows with at least one PHI-like finding (gold rows are counted, never excluded). */
  phiRows: Record<Source, number>;
  /** Rows (all sources) with at least one finding of each kind, for every kind in PHI_KINDS. */
  phiByKind: Record<string, number>;
  /** Silver/bronze rows marked unusable because they repeat a gold test sentence. */
  leakageDropped: Record<'silver' | 'bronze', number>;
  /** Bronze rows marked unusable as near-duplicates of an earlier (by id) bronze row. */
  nearDuplicatesDropped: number;
  /** Bronze sentences written again by another call (same normalised text): kept once, the repeats counted here (absent in runs merged before it was counted). */
  repeatsMerged?: number;
}

export const CARD_TABLES = ['merged', 'gold', 'silver', 'bronze'] as const;

export interface DatasetCardInfo {
  /** Experiment name (or the run folder's name). */
  name: string;
  description?: string;
  runId?: string;
  taxonomyVersion?: string;
  labels?: string[];
  corpus?: { format: string; sensitive: boolean };
  /** Whether silver/bronze rows with PHI findings are in the exports. */
  includeFlagged: boolean;
  /** Exported rows per source and split (n) and how many are usable for training. */
  rows: { source: string; split: string; n: number; usable: number }[];
  /** Exported rows per source, split and label ('none' = no label). */
  labelCounts: { source: string; split: string; label: string; n: number; usable: number }[];
  /** LLM provenance: rows per source (silver, bronze, selfcheck-silver, selfcheck-bronze), model and prompt version. */
  models: { source: string; model: string; promptVersion: string | null; n: number }[];
  safety: SafetySummary;
  thresholds: { leakage: number; nearDuplicate: number };
  /** Written bronze items the sentence gate refused (not rows of these exports). */
  bronzeRejected?: number;
  /** The Hugging Face split files (datasets/hf/) the card's configs point at. */
  hf: HfExport;
}

/** The card's `license_name`: the rows come under several sets of terms (see LICENSE.md). */
export const LICENSE_NAME = 'clinsynth-per-source-terms';
/** The card's `license_link`, written beside it. */
export const LICENSE_FILE = 'LICENSE.md';

const COLUMNS: readonly (readonly [string, string, string])[] = [
  ['gold', 'train', 'gold train'],
  ['gold', 'test', 'gold test'],
  ['silver', 'train', 'silver'],
  ['bronze', 'train', 'bronze'],
];
/** The config and count column of human-reviewed rows, shown when the run has some. */
const REVIEWED = ['reviewed', 'train', 'reviewed'] as const;

function sizeCategory(n: number): string {
  if (n < 1_000) return 'n<1K';
  if (n < 10_000) return '1K<n<10K';
  if (n < 100_000) return '10K<n<100K';
  if (n < 1_000_000) return '100K<n<1M';
  return '1M<n<10M';
}

/** A Markdown table cell: pipes and newlines would break the table. */
function cell(s: string | number | null | undefined): string {
  return String(s ?? '—')
    .replace(/\|/g, '\\|')
    .replace(/\s+/g, ' ');
}

function table(head: string[], rows: (string | number)[][]): string {
  return [
    `| ${head.map(cell).join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function silverLicence(corpus: DatasetCardInfo['corpus']): string {
  if (!corpus) return 'No corpus was given, so there is no silver data.';
  const lines = [
    `Silver sentences are copied verbatim from the experiment's note corpus (format \`${corpus.format}\`) and inherit its licence and data-use terms.`,
  ];
  if (corpus.format === 'mimic-noteevents-csv') {
    lines.push(
      '**MIMIC notes are covered by the PhysioNet Credentialed Health Data Use Agreement: do not share, publish or upload the silver or merged files ' +
        '(including to the Hugging Face Hub); only credentialed users under the same agreement may receive them.**',
    );
  } else if (corpus.format === 'mtsamples-csv') {
    lines.push(
      'MTSamples transcriptions are published under mtsamples.com terms: check them before redistributing silver or merged data.',
    );
  }
  if (corpus.sensitive) {
    lines.push(
      '**The corpus is marked sensitive (`corpus.sensitive: true`): treat silver and merged files as patient data and keep them where the corpus is allowed to be.**',
    );
  }
  return lines.join(' ');
}

/** The terms of each part of the export (the card's licence section and LICENSE.md). */
function licenceLines(info: DatasetCardInfo): string[] {
  const reviewed = info.rows.some((r) => r.source === 'reviewed' && r.n > 0);
  const genModels = [...new Set(info.models.filter((m) => m.source === 'bronze').map((m) => m.model))];
  return [
    "- **gold**: the experiment owner's data; its licence and any data-use terms are theirs, and nothing here re-licenses it.",
    `- **silver**: ${silverLicence(info.corpus)}`,
    `- **bronze**: written by an LLM from the label definitions (no patient text in the prompts)${genModels.length ? ` by ${genModels.map((m) => `\`${m}\``).join(', ')}` : ''}; ` +
      "subject to the generating model's terms of use. It may still contain invented PHI-like details (see the safety checks).",
    ...(reviewed
      ? ["- **reviewed**: silver and bronze rows with human labels; the terms of the row's origin apply."]
      : []),
    '- **merged** and the `default` config: all of the above; the most restrictive terms of its parts apply.',
  ];
}

/** The card's Markdown, YAML front matter first. */
export function renderDatasetCard(info: DatasetCardInfo): string {
  const reviewed = info.rows.some((r) => r.source === 'reviewed' && r.n > 0);
  const tables: readonly string[] = reviewed ? [...CARD_TABLES, 'reviewed'] : CARD_TABLES;
  const columns = reviewed ? [...COLUMNS, REVIEWED] : COLUMNS;
  const total = info.rows.reduce((s, r) => s + r.n, 0);
  const yaml = [
    '---',
    `pretty_name: ${JSON.stringify(`clinsynth ${info.name}`)}`,
    'language:',
    '- en',
    'license: other',
    `license_name: ${LICENSE_NAME}`,
    `license_link: ${LICENSE_FILE}`,
    'task_categories:',
    '- text-classification',
    'task_ids:',
    '- multi-label-classification',
    'tags:',
    '- clinical',
    '- alzheimers-disease',
    '- synthetic',
    '- clinsynth',
    'size_categories:',
    `- ${sizeCategory(total)}`,
    ...hfCardYaml(info.hf),
    '---',
  ];

  const labels = [...new Set([...(info.labels ?? []), ...info.labelCounts.map((l) => l.label)])].sort((a, b) =>
    a === 'none' ? 1 : b === 'none' ? -1 : a.localeCompare(b),
  );
  const labelRows = labels.map((label) => [
    label,
    ...columns.map(([source, split]) => {
      const c = info.labelCounts.find((l) => l.label === label && l.source === source && l.split === split);
      return c ? (c.usable === c.n ? c.n : `${c.n} (${c.usable} usable)`) : 0;
    }),
  ]);
  const rowsRow = columns.map(([source, split]) => {
    const r = info.rows.find((x) => x.source === source && x.split === split);
    return r ? `${r.n} (${r.usable} usable)` : '0';
  });
  const s = info.safety;
  const models = info.models.map((m) => [m.source, m.model, m.promptVersion ?? '—', m.n]);

  const body = [
    `# clinsynth dataset: ${info.name}`,
    '',
    info.description ??
      "Sentences from clinical notes labelled for signs and symptoms of Alzheimer's disease: expert-labelled (gold), LLM-labelled real sentences (silver) and LLM-written sentences (bronze).",
    '',
    [info.runId ? `Run: \`${info.runId}\`.` : '', info.taxonomyVersion ? `Taxonomy: \`${info.taxonomyVersion}\`.` : '']
      .filter(Boolean)
      .join(' '),
    '',
    '## Files and configs',
    '',
    table(
      ['config', 'split', 'file', 'rows'],
      info.hf.configs.flatMap((c) => c.splits.map((sp) => [c.name, sp.split, sp.path, sp.n])),
    ),
    '',
    '```python',
    'from datasets import load_dataset',
    'ds = load_dataset("path/to/datasets")               # the default config: ds["train"], ds["test"]',
    'silver = load_dataset("path/to/datasets", "silver")  # one source; "flagged" holds the unusable rows',
    'names = ds["train"].features["labels"].feature.names # label ids (labels are ClassLabel indices)',
    '```',
    '',
    "The default config's `train` split holds only usable training rows (gold train, silver and bronze; reviewed rows carry the reviewer's labels) and its `test` split only the gold test rows: " +
      "train on `train`, evaluate on `test`. Per-source configs (`gold`, `silver`, `bronze`, `reviewed`) hold that source's usable rows (gold also its `test`); " +
      'the `flagged` config (split `flagged`) holds the rows marked unusable (self-check rejects, gold-test leakage, near-duplicates' +
      (info.includeFlagged ? ', PHI-like findings' : '') +
      ') so they can be inspected, never trained on.',
    `Whole tables with every exported row and a \`split\` column are beside them for DuckDB or pandas (${tables.map((t) => `\`${t}.parquet\``).join(', ')}, also as \`.jsonl\`; not configs). ` +
      '`datasets/clinsynth.duckdb` holds the same tables with every row, flagged ones included.',
    '',
    '## Columns',
    '',
    '`id`, `source` (gold/silver/bronze), `split`, `text`, `labels` (after self-check), `note_id`, `start_offset`/`end_offset` (silver: span in the note), ' +
      '`model`, `prompt_version`, `cache_key` (LLM provenance), `style` (bronze generation controls), `selection_reason` (why a silver sentence was chosen), ' +
      '`verdict`/`verdict_reason`/`llm_labels` (self-check), `phi_kinds` (PHI-like findings; empty when clean), `leak_of` (id of the gold test sentence this row duplicates), ' +
      '`near_duplicate_of` (bronze: the kept sentence this one repeats), `usable`; human review: `reviewer`, `reviewed_at`, `review_reasons` ' +
      '(why the row was reviewed), `labels_before_review`/`usable_before_review` (what the LLM pipeline had decided), `origin` (for `reviewed` rows: silver or bronze); ' +
      '`rationale`/`verdict_rationale` (what the LLM wrote before its labels / its verdict, with silver.rationale / selfCheck.rationale; else null).',
    ...(reviewed
      ? [
          '',
          'Reviewed silver and bronze rows carry the reviewer\'s labels in `labels`; the `reviewed` config holds a copy of each with `source = "reviewed"` (train on it instead of, not beside, its silver/bronze row).',
        ]
      : []),
    '',
    '## Counts',
    '',
    table(['', ...columns.map(([, , h]) => h)], [['rows', ...rowsRow], ...labelRows]),
    '',
    'Label cells count rows carrying the label (a sentence with two labels counts twice; `none` = no label).',
    '',
    '## Models and prompts',
    '',
    models.length ? table(['source', 'model', 'prompt version', 'rows'], models) : 'No LLM-made rows.',
    '',
    '## Safety checks',
    '',
    `- PHI-like spans (names after titles, dates, phone numbers, e-mail, SSN/MRN-like numbers, street addresses, URLs): ` +
      `${s.phiRows.silver} silver, ${s.phiRows.bronze} bronze and ${s.phiRows.gold} gold rows. ` +
      (info.includeFlagged
        ? 'Flagged rows are included in these exports (marked by `phi_kinds`, `usable = false`).'
        : "Flagged silver and bronze rows are left out of these exports; gold rows are the user's and are kept."),
    `- Findings by kind (rows): ${
      Object.entries(s.phiByKind)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ') || 'none'
    }.`,
    `- Gold test leakage (same normalised text, or embedding cosine ≥ ${info.thresholds.leakage}): ${s.leakageDropped.silver} silver and ${s.leakageDropped.bronze} bronze rows marked unusable (\`leak_of\`).`,
    ...(info.bronzeRejected === undefined
      ? []
      : [
          `- Bronze items that were no sentence (label ids, placeholders, copies of guideline examples): ${info.bronzeRejected} refused before these exports (kept with the reason in the run's bronze/rejected).`,
        ]),
    `- Bronze sentences written again by another call (same normalised text): ${s.repeatsMerged ?? 0} repeats merged into the first (one row per sentence).`,
    `- Bronze near-duplicates (cosine ≥ ${info.thresholds.nearDuplicate}; the first by id is kept): ${s.nearDuplicatesDropped} rows marked unusable (\`near_duplicate_of\`).`,
    '- The scan is a heuristic, not a de-identification: review before sharing.',
    '',
    '## Licence and terms',
    '',
    ...licenceLines(info),
    '',
  ];
  return `${yaml.join('\n')}\n${body.join('\n')}`;
}

/** Writes `<datasetsDir>/README.md` and the LICENSE.md it links to (atomically) and returns the card's path. */
export function writeDatasetCard(datasetsDir: string, info: DatasetCardInfo): string {
  const path = join(datasetsDir, 'README.md');
  writeFileAtomic(
    join(datasetsDir, LICENSE_FILE),
    [`# Terms of the clinsynth dataset ${info.name}`, '', ...licenceLines(info), ''].join('\n'),
  );
  writeFileAtomic(path, renderDatasetCard(info));
  return path;
}
