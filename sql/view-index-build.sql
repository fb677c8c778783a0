-- The viewer's row index (client/view/row-index.ts), built once per run into catalog vx: the columns a page shows, in
-- (source, id) order (rid), and narrow filter columns: labels and review reasons as bit masks (bit i = the i-th of
-- the label / reason lists given), lower-cased text for search (stored uncompressed: contains() scans it without
-- decoding), and the rank of each row's text and verdict, so every sort is an integer sort.
CREATE TABLE vx.rows (
  rid INTEGER, ref VARCHAR, id VARCHAR, source VARCHAR, split VARCHAR, text VARCHAR, labels VARCHAR[],
  llm_labels VARCHAR[], labels_before_review VARCHAR[], verdict VARCHAR, usable BOOLEAN, phi_kinds VARCHAR[],
  leak_of VARCHAR, near_duplicate_of VARCHAR, review_reasons VARCHAR[], prompt_version VARCHAR, model VARCHAR,
  chars INTEGER, label_bits BIGINT, reason_bits BIGINT, verdict_or_none VARCHAR, has_phi BOOLEAN,
  text_lower VARCHAR USING COMPRESSION uncompressed, text_rank INTEGER, verdict_rank INTEGER);
INSERT INTO vx.rows
SELECT row_number() OVER (ORDER BY source, id) AS rid,
       source || ':' || id, id, source, split, text, labels, llm_labels, labels_before_review, verdict, usable,
       phi_kinds, leak_of, near_duplicate_of, review_reasons, prompt_version, model, length(text),
       coalesce(list_reduce(list_transform(labels, l -> coalesce(1::BIGINT << (list_position({{labelBits}}, l) - 1), 0::BIGINT)),
                            (a, b) -> a | b, 0::BIGINT), 0::BIGINT),
       coalesce(list_reduce(list_transform(review_reasons, l -> coalesce(1::BIGINT << (list_position({{reasonBits}}, l) - 1), 0::BIGINT)),
                            (a, b) -> a | b, 0::BIGINT), 0::BIGINT),
       coalesce(verdict, 'none'),
       len(phi_kinds) > 0,
       lower(text),
       CASE WHEN text IS NOT NULL THEN dense_rank() OVER (ORDER BY text) END,
       CASE WHEN verdict IS NOT NULL THEN dense_rank() OVER (ORDER BY verdict) END
FROM view_rows
ORDER BY rid;
