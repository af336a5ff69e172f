"""The YAML tables under `effects/data/`, loaded once per process (safe loader, C when built)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=None)
def table(name: str) -> Any:
    """The parsed content of `effects/data/<name>.yaml` (callers must not mutate it)."""
    text = resources.files("tracehound.effects").joinpath("data", f"{name}.yaml").read_text(
        encoding="utf-8")
    return yaml.load(text, Loader=_LOADER)
