-- Dataset composition: usable rows per label and source (label 'none' for rows without labels).
SELECT source, coalesce(label, 'none') AS label, count(*)::INTEGER AS n
FROM (SELECT source, unnest(CASE WHEN len(labels) = 0 THEN [NULL] ELSE labels END) AS label FROM merged WHERE usable AND split = 'train')
GROUP BY ALL ORDER BY ALL;
