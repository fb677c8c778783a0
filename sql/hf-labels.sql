-- Every label id in the Hugging Face split files (the card's ClassLabel names must cover them).
SELECT DISTINCT unnest(labels) AS label FROM hf_export ORDER BY label;
