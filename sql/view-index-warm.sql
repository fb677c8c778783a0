-- Reads every filter and sort column of the viewer's row index once at open, so the first filter a user asks for
-- finds them in DuckDB's buffers rather than on disk (client/view/row-index.ts).
SELECT min(rid), max(text_rank), max(verdict_rank), max(chars), bit_or(label_bits), bit_or(reason_bits),
       max(verdict_or_none), bool_or(usable), bool_or(has_phi), max(leak_of), max(near_duplicate_of),
       max(prompt_version), max(split), max(source), sum(length(text_lower))
FROM vx.rows;
