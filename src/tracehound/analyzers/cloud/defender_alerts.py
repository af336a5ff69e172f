"""Analyzer placeholder: cloud.defender_alerts (not written yet)."""
