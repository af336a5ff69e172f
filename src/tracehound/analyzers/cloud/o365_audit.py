"""Analyzer placeholder: cloud.o365_audit (not written yet)."""
