"""Analyzer placeholder: drift (not written yet)."""
