"""Analyzer placeholder: agent.accountability (not written yet)."""
