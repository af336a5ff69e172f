"""Analyzer placeholder: cloud.cloudtrail (not written yet)."""
