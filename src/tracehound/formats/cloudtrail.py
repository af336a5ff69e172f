"""Parser module placeholder: cloudtrail (not written yet)."""
