"""Parser module placeholder: kepler (not written yet)."""
