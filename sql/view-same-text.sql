-- The rows of another study variant that carry the same sentence (the viewer's "in other variants").
SELECT source || ':' || id AS ref, source, labels, llm_labels, verdict, usable FROM view_rows WHERE text = {{text}} ORDER BY source, id LIMIT 10;
