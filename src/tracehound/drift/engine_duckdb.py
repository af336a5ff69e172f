"""Run the drift SQL in DuckDB: the case store's connection, or any DuckDB connection whose
`events` table (or staged drift tables) the statements can read."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .queries import DUCKDB_MACROS, Relation


class DuckDBEngine:
    name = "duckdb"

    def __init__(self, con: Any):
        self.con = con
        for macro in DUCKDB_MACROS:
            self.con.execute(macro)

    def load(self, name: str, table: pa.Table) -> None:
        self.con.register("_drift_incoming", table)
        try:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _drift_incoming")
        finally:
            self.con.unregister("_drift_incoming")

    def define(self, relation: Relation) -> None:
        kind = "TABLE" if relation.materialize else "VIEW"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} {relation.name} AS {relation.text}")

    def rows(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def close(self) -> None:
        """Nothing to release: the connection belongs to the caller."""
