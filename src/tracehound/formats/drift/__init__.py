"""Scope-drift inputs: Purview CopilotInteraction records and agent decision logs."""
