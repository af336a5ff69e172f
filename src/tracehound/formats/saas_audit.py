"""Parser module placeholder: saas_audit (not written yet)."""
