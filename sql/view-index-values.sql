-- The labels and review reasons a run's rows carry, most frequent first (the bits of the viewer's row index masks).
SELECT 'label' AS kind, l AS value, count(*) AS n FROM (SELECT unnest(labels) AS l FROM view_rows) GROUP BY l
UNION ALL
SELECT 'reason', r, count(*) FROM (SELECT unnest(review_reasons) AS r FROM view_rows) GROUP BY r
ORDER BY kind, n DESC, value;
