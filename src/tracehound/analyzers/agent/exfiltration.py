"""Analyzer placeholder: agent.exfiltration (not written yet)."""
