-- Writes one Hugging Face split (see hf-export.sql) as Parquet.
COPY (SELECT * EXCLUDE (hf_config, hf_split) FROM hf_export WHERE hf_config = {{config}} AND hf_split = {{split}} ORDER BY source, split, id)
  TO {{parquetFile}} (FORMAT parquet);
