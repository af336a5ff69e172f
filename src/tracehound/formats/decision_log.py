"""Parser module placeholder: decision_log (not written yet)."""
