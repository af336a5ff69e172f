"""Analyzer placeholder: cloud.account_activity (not written yet)."""
