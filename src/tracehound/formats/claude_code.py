"""Parser module placeholder: claude_code (not written yet)."""
