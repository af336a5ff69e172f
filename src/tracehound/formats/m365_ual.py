"""Parser module placeholder: m365_ual (not written yet)."""
