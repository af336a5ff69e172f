"""Analyzer placeholder: agent.divergence (not written yet)."""
