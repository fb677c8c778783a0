-- The self-check answer behind one silver or bronze row (its own cache key), from the run's self-check parts.
SELECT verdict, labels, reason, model, promptVersion, cacheKey
FROM read_json({{files}}, format = 'newline_delimited',
  columns = {id: 'VARCHAR', "set": 'VARCHAR', verdict: 'VARCHAR', labels: 'VARCHAR[]', reason: 'VARCHAR',
             model: 'VARCHAR', promptVersion: 'VARCHAR', cacheKey: 'VARCHAR'})
WHERE id = {{id}} ORDER BY cacheKey LIMIT 1;
