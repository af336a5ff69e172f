"""Parser module placeholder: defender_cloudapps (not written yet)."""
