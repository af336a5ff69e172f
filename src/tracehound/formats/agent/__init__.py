"""Agent runtime session logs and the kepler reference exports."""
