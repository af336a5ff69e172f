"""Parser module placeholder: azure_activity (not written yet)."""
