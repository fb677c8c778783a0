-- Bronze rows by label when the run has no eval/bronze-nearest.jsonl (measured before it existed): no neighbour.
SELECT source || ':' || id AS ref, id, text, labels, usable, NULL AS of, NULL AS nearestText, NULL::DOUBLE AS cosine
FROM view_rows
WHERE source = 'bronze' AND ({{label}} = '' OR list_contains(labels, {{label}}) OR ({{label}} = 'none' AND len(labels) = 0))
ORDER BY id
LIMIT {{limit}};
