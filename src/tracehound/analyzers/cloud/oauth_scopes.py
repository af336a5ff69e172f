"""Analyzer placeholder: cloud.oauth_scopes (not written yet)."""
