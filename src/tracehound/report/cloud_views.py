"""CSV exports of the cloud tools' views (o365-views, account-activity sign-ins).

Rendering lives here, not in the analyzers: they hand back rows, this writes them with the
one formula-safe CSV writer.
"""

from __future__ import annotations

from typing import Any, Mapping

from .serialize import rows_csv

SIGNIN_COLUMNS = ["time", "actor", "source", "outcome", "ip", "country", "asn", "client_app",
                  "agent", "error_code", "sha256", "locator"]


def view_csv(view: Mapping[str, Any]) -> str:
    """One o365 view ({view, columns, total, rows}) as spreadsheet-safe CSV."""
    return rows_csv(list(view["columns"]), list(view["rows"]))


def signins_csv(rows: list[dict[str, Any]]) -> str:
    """The sign-in table as spreadsheet-safe CSV (the JSON export is the artifact itself)."""
    return rows_csv(SIGNIN_COLUMNS, rows)
