-- The usable training rows of a mix (the sources named by the mix), from the merged dataset export.
SELECT id, text, labels, source FROM read_parquet({{mergedParquet}})
WHERE split = 'train' AND usable AND list_contains({{sources}}, source)
ORDER BY source, id;
