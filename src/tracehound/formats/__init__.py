"""Vendor shapes -> Events. One module per shape; importing this package registers them all.

The list is explicit so a reader can see every built-in format in one place.
"""

from importlib import import_module

from .registry import all_parsers, get, load_plugins, register  # noqa: F401

BUILTIN_MODULES = (
    # agent runtimes
    "kepler", "kepler_documents", "kepler_artifacts", "otel_genai", "mcp_jsonrpc",
    "claude_code", "openai_chat", "langfuse",
    # cloud account compromise
    "m365_ual", "entra", "ms_account", "azure_activity", "oauth_grants", "defender_cloudapps",
    "saas_audit", "cloudtrail",
    # scope drift
    "purview_copilot", "decision_log",
)

for _module in BUILTIN_MODULES:
    import_module(f"{__name__}.{_module}")
