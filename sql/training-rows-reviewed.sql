-- The usable training rows of a mix in a run with human review: with the reviewers' labels, or (beforeReview) the
-- labels and usability the rows had before it. A reviewed row stands in for its silver/bronze row only in mixes
-- without that source (which already holds the row, with the reviewer's labels).
SELECT id, text, CASE WHEN {{beforeReview}} THEN labels_before_review ELSE labels END AS labels, source
FROM read_parquet({{mergedParquet}})
WHERE split = 'train' AND CASE WHEN {{beforeReview}} THEN usable_before_review ELSE usable END
  AND list_contains({{sources}}, source) AND NOT (source = 'reviewed' AND list_contains({{sources}}, origin))
ORDER BY source, id;
