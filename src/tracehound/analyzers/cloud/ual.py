"""Analyzer placeholder: cloud.ual (not written yet)."""
