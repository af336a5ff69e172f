"""Parser module placeholder: otel_genai (not written yet)."""
