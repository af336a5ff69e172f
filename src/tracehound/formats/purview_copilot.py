"""Parser module placeholder: purview_copilot (not written yet)."""
