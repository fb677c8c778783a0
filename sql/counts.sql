-- Row counts per source and split, and self-check verdicts, for the run's progress and report.
SELECT source, split, verdict, count(*)::INTEGER AS n, count(*) FILTER (WHERE usable)::INTEGER AS usable
FROM merged GROUP BY ALL ORDER BY ALL;
