"""Parser module placeholder: langfuse (not written yet)."""
