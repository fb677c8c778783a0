-- The columns of a viewer page, read from the row index (client/view/row-index.ts appends the filter, order and limit).
SELECT ref, id, source, split, text, labels, llm_labels, labels_before_review, verdict, usable, phi_kinds, leak_of,
       near_duplicate_of, review_reasons, prompt_version, model, chars
FROM vx.rows
