"""Parser module placeholder: oauth_grants (not written yet)."""
