"""Analyzer placeholder: agent.trace (not written yet)."""
