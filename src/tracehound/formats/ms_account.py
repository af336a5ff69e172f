"""Parser module placeholder: ms_account (not written yet)."""
