"""Parser module placeholder: mcp_jsonrpc (not written yet)."""
