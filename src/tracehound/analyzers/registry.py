"""The analyzer registry and the small context every analyzer receives.

An analyzer is a class with a unique NAME, the event sources it consumes, and
`run(events, ctx) -> Iterable[Finding]`. It may also hand back artifacts (traces, graphs)
through `artifacts`. Registration is explicit (`@register`), duplicates raise, and built-ins
are imported in `tracehound.analyzers`; plugins come through the `tracehound.analyzers`
entry-point group.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, ClassVar, Iterable, Mapping, Sequence

from .. import __version__
from ..model import EvidenceFile, Event, Finding

_ANALYZERS: dict[str, "Analyzer"] = {}


class DuplicateAnalyzerError(ValueError):
    pass


@dataclass
class Context:
    """What an analyzer may know besides the events: baseline, settings, evidence list.

    `store` is the case's DuckDB connection (tracehound.store.CaseStore) for analyzers whose
    detections are SQL; plain-Python analyzers ignore it. `shared` lets the pipeline hand
    computed structures (e.g. reconstructed traces) to later analyzers without recomputing.
    """

    evidence: Sequence[EvidenceFile] = ()
    baseline: Any = None                    # tracehound.scope.Baseline or None
    settings: Mapping[str, Any] = field(default_factory=dict)
    store: Any = None
    shared: dict[str, Any] = field(default_factory=dict)

    def setting(self, name: str, default: Any) -> Any:
        return self.settings.get(name, default)


class Analyzer:
    NAME: ClassVar[str]
    VERSION: ClassVar[str] = "1"
    FAMILY: ClassVar[str] = "agent"              # agent | cloud | drift
    TITLE: ClassVar[str] = ""                    # what it does, for `tracehound tools`
    CONSUMES: ClassVar[tuple[str, ...]] = ()     # Event.source prefixes it reads ("agent:")
    # True when artifacts() gives only per-row views (pipeline.VIEWS): built only when asked
    ARTIFACTS_ARE_VIEWS: ClassVar[bool] = False

    @property
    def engine_version(self) -> str:
        return f"tracehound {__version__} / {self.NAME} {self.VERSION}"

    def wants(self, event: Event) -> bool:
        return not self.CONSUMES or event.source.startswith(self.CONSUMES)

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        raise NotImplementedError

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        """Extra outputs keyed by CONTRACT section ("traces", "graphs"); none by default."""
        return {}


def register(cls: type[Analyzer]) -> type[Analyzer]:
    if cls.NAME in _ANALYZERS:
        raise DuplicateAnalyzerError(f"an analyzer named {cls.NAME!r} is already registered")
    _ANALYZERS[cls.NAME] = cls()
    return cls


def get(name: str) -> Analyzer:
    try:
        return _ANALYZERS[name]
    except KeyError:
        known = ", ".join(sorted(_ANALYZERS))
        raise KeyError(f"unknown tool {name!r}; known tools: {known}") from None


def all_analyzers() -> list[Analyzer]:
    order = {"agent": 0, "cloud": 1, "drift": 2}
    return sorted(_ANALYZERS.values(), key=lambda a: (order.get(a.FAMILY, 9), a.NAME))


def load_plugins() -> None:
    for entry in sorted(entry_points(group="tracehound.analyzers"), key=lambda e: e.name):
        entry.load()
