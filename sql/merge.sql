-- Builds the gold, silver and bronze tables with per-row provenance and self-check verdicts as columns; the safety
-- flag columns start clean and sql/safety.sql fills them; the review columns start empty and sql/review.sql fills them;
-- rationale / verdict_rationale: what the LLM wrote before its labels / verdict (silver.rationale, selfCheck.rationale).
CREATE OR REPLACE TABLE gold AS
SELECT id, 'gold' AS source, split, text, list_sort(labels) AS labels, note_id,
       NULL::INTEGER AS start_offset, NULL::INTEGER AS end_offset,
       NULL AS model, NULL AS prompt_version, NULL AS cache_key, NULL::JSON AS style, NULL AS selection_reason,
       NULL AS verdict, NULL AS verdict_reason, NULL::VARCHAR[] AS llm_labels,
       []::VARCHAR[] AS phi_kinds, NULL::VARCHAR AS leak_of, NULL::VARCHAR AS near_duplicate_of, true AS usable,
       NULL::VARCHAR[] AS labels_before_review, NULL::BOOLEAN AS usable_before_review, NULL::VARCHAR AS reviewer,
       NULL::VARCHAR AS reviewed_at, NULL::VARCHAR[] AS review_reasons, NULL::VARCHAR AS origin,
       NULL::VARCHAR AS rationale, NULL::VARCHAR AS verdict_rationale
FROM gold_raw;

-- A later self-check answer for the same row wins (pages are rewritten whole, so duplicates only come from reruns).
CREATE OR REPLACE TEMP VIEW verdicts AS
SELECT * FROM verdicts_raw QUALIFY row_number() OVER (PARTITION BY "set", id ORDER BY cacheKey) = 1;

CREATE OR REPLACE TABLE silver AS
SELECT s.id, 'silver' AS source, 'train' AS split, s.text,
       list_sort(CASE WHEN v.verdict = 'fix' THEN v.labels ELSE s.labels END) AS labels,
       s.noteId AS note_id, s."start" AS start_offset, s."end" AS end_offset,
       s.model, s.promptVersion AS prompt_version, s.cacheKey AS cache_key, NULL::JSON AS style,
       s.reason AS selection_reason, v.verdict, v.reason AS verdict_reason, list_sort(s.labels) AS llm_labels,
       []::VARCHAR[] AS phi_kinds, NULL::VARCHAR AS leak_of, NULL::VARCHAR AS near_duplicate_of,
       coalesce(v.verdict, 'keep') <> 'reject' AS usable,
       NULL::VARCHAR[] AS labels_before_review, NULL::BOOLEAN AS usable_before_review, NULL::VARCHAR AS reviewer,
       NULL::VARCHAR AS reviewed_at, NULL::VARCHAR[] AS review_reasons, NULL::VARCHAR AS origin,
       s.rationale, v.rationale AS verdict_rationale
FROM silver_raw s LEFT JOIN verdicts v ON v."set" = 'silver' AND v.id = s.id;

-- One row per bronze sentence: a sentence that several calls wrote (same normalised text, so the same id) is kept
-- from its first page; the repeats are counted (bronze-repeats.sql), not kept as rows sharing an id.
CREATE OR REPLACE TEMP VIEW bronze_distinct AS
SELECT * FROM bronze_raw QUALIFY row_number() OVER (PARTITION BY id ORDER BY filename) = 1;

CREATE OR REPLACE TABLE bronze AS
SELECT b.id, 'bronze' AS source, 'train' AS split, b.text,
       list_sort(CASE WHEN v.verdict = 'fix' THEN v.labels ELSE b.labels END) AS labels,
       NULL AS note_id, NULL::INTEGER AS start_offset, NULL::INTEGER AS end_offset,
       b.model, b.promptVersion AS prompt_version, b.cacheKey AS cache_key, b.style,
       NULL AS selection_reason, v.verdict, v.reason AS verdict_reason, list_sort(b.labels) AS llm_labels,
       []::VARCHAR[] AS phi_kinds, NULL::VARCHAR AS leak_of, NULL::VARCHAR AS near_duplicate_of,
       coalesce(v.verdict, 'keep') <> 'reject' AS usable,
       NULL::VARCHAR[] AS labels_before_review, NULL::BOOLEAN AS usable_before_review, NULL::VARCHAR AS reviewer,
       NULL::VARCHAR AS reviewed_at, NULL::VARCHAR[] AS review_reasons, NULL::VARCHAR AS origin,
       NULL::VARCHAR AS rationale, v.rationale AS verdict_rationale
FROM bronze_distinct b LEFT JOIN verdicts v ON v."set" = 'bronze' AND v.id = b.id;
