"""Parser module placeholder: openai_chat (not written yet)."""
