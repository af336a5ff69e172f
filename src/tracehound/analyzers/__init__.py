"""Analyzers: events in, findings out. Importing this package registers the built-ins."""

from importlib import import_module

from .registry import Analyzer, Context, all_analyzers, get, register  # noqa: F401

BUILTIN_MODULES = (
    # seed 001's analysis path, steps 1-7
    "agent.trace", "agent.divergence", "agent.accountability", "agent.credentials",
    "agent.mcp_graph", "agent.persistence", "agent.exfiltration",
    # seed 000's eight cloud-compromise tools and CloudTrail
    "cloud.o365_audit", "cloud.ual", "cloud.o365_views", "cloud.azure_activity",
    "cloud.oauth_scopes", "cloud.defender_alerts", "cloud.saas_correlator",
    "cloud.account_activity", "cloud.cloudtrail", "cloud.sigma_rules",
    "cloud.signin_addresses", "cloud.identity",
    # seed 003's scope drift
    "drift",
)

for _module in BUILTIN_MODULES:
    import_module(f"{__name__}.{_module}")
