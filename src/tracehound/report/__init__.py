"""Rendering only: a Case in, bytes out (JSON, NDJSON, CSV, terminal tables, HTML, PDF)."""
