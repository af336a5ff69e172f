"""Rendering only: a Case in, bytes out (JSON, NDJSON, CSV, Rich tables, HTML, PDF)."""
