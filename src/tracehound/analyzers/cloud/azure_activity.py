"""Analyzer placeholder: cloud.azure_activity (not written yet)."""
