-- The values the viewer's filters offer (sources, splits, verdicts, prompt versions, review reasons) with row counts.
SELECT 'source' AS facet, source AS value, count(*) AS n FROM vx.rows GROUP BY source
UNION ALL SELECT 'split', split, count(*) FROM vx.rows GROUP BY split
UNION ALL SELECT 'verdict', verdict_or_none, count(*) FROM vx.rows GROUP BY 2
UNION ALL SELECT 'promptVersion', prompt_version, count(*) FROM vx.rows WHERE prompt_version IS NOT NULL GROUP BY 2
UNION ALL SELECT 'reviewReason', r, count(*) FROM (SELECT unnest(review_reasons) AS r FROM vx.rows) GROUP BY 2
ORDER BY facet, value;
