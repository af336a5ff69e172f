"""Analyzer placeholder: cloud.o365_views (not written yet)."""
