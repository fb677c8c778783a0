-- Bronze rows by label with their nearest real sentence (eval/bronze-nearest.jsonl, written with the fidelity report).
SELECT b.source || ':' || b.id AS ref, b.id, b.text, b.labels, b.usable, n.of, n.nearestText, n.cosine
FROM view_rows b LEFT JOIN read_json({{nearestFiles}}, format = 'newline_delimited',
  columns = {id: 'VARCHAR', of: 'VARCHAR', nearestText: 'VARCHAR', cosine: 'DOUBLE'}) n ON n.id = b.id
WHERE b.source = 'bronze' AND ({{label}} = '' OR list_contains(b.labels, {{label}})
  OR ({{label}} = 'none' AND len(b.labels) = 0))
ORDER BY n.cosine DESC NULLS LAST, b.id
LIMIT {{limit}};
