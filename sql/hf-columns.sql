-- The columns and DuckDB types of the Hugging Face split files, for the card's `features`.
SELECT column_name AS name, column_type AS type FROM (DESCRIBE SELECT * EXCLUDE (hf_config, hf_split) FROM hf_export);
