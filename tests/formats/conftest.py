"""Fixtures shared by the format tests."""

from __future__ import annotations

import duckdb
import pytest

from tracehound.formats.cloud import m365_fields


@pytest.fixture(scope="module")
def twin_con():
    """A DuckDB connection with the Microsoft-field SQL twins' time macro defined."""
    connection = duckdb.connect()
    connection.execute(m365_fields.TIME_MACRO)
    yield connection
    connection.close()
