"""Analyzer placeholder: agent.credentials (not written yet)."""
