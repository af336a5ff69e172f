"""The allowed envelope of an agent (action classes + resources), from a baseline or inferred
from its deployed prompt / stated intent / runtime config. Placeholder: being written."""
