"""The scope-creep drift engine (seed 003): D1-D6 and the weekly metrics as SQL.

The SQL lives once, in DuckDB's dialect, under `sql/` (`queries.py` lists it in run order).
`engine_duckdb` runs it in the case store; `engine_spark` transpiles it with sqlglot and runs
it on Apache Spark. `run.run_drift` drives either engine and returns plain rows, which
`findings.py` turns into Findings (with `escalation.py`'s escalation entries) and `metrics.py`
into the weekly dashboard records.
"""
