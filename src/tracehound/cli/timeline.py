"""`tracehound timeline` (not written yet)."""
from . import app  # noqa: F401
