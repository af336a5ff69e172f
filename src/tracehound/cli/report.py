"""`tracehound report` (not written yet)."""
from . import app  # noqa: F401
