"""Analyzer placeholder: cloud.saas_correlator (not written yet)."""
