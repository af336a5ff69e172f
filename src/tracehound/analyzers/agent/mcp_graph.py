"""Analyzer placeholder: agent.mcp_graph (not written yet)."""
