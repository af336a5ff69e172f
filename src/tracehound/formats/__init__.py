"""Vendor shapes -> Events. One module per shape, in families (`agent/`, `cloud/`, `drift/`;
shared readers, records loop and times at the top); importing this package registers them all.

The list is explicit so a reader can see every built-in format in one place.
"""

from importlib import import_module

from .registry import all_parsers, get, load_plugins, register  # noqa: F401

BUILTIN_MODULES = (
    # agent runtimes
    "agent.kepler", "agent.kepler_documents", "agent.kepler_artifacts", "agent.otel_genai",
    "agent.mcp_jsonrpc", "agent.claude_code", "agent.openai_chat", "agent.langfuse",
    "agent.codex", "agent.gemini_cli", "agent.gemini_cli_logs", "agent.gemini_cli_stream",
    "agent.cline", "agent.cline_ui",
    "agent.openhands",
    "agent.swe_agent",
    "agent.aider",
    "agent.mcp_client_log",
    # cloud account compromise
    "cloud.m365_ual", "cloud.entra", "cloud.ms_account", "cloud.azure_activity",
    "cloud.oauth_grants", "cloud.defender_cloudapps", "cloud.saas_audit", "cloud.cloudtrail",
    "cloud.sentinel",
    # scope drift
    "drift.purview_copilot", "drift.decision_log",
)

for _module in BUILTIN_MODULES:
    import_module(f"{__name__}.{_module}")
