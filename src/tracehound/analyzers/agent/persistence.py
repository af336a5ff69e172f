"""Analyzer placeholder: agent.persistence (not written yet)."""
