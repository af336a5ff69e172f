"""`tracehound drift` (not written yet)."""
from . import app  # noqa: F401
