"""Parser module placeholder: entra (not written yet)."""
