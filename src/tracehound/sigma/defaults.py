"""SigmaHQ's cloud rules that run on every case, and rule folders compiled once per process.

`sigmahq/rules/` holds the SigmaHQ rules tracehound ships, copied verbatim (NOTICE names the
repository and commit; LICENSE and LICENSE.Detection.Rules.md are the DRL 1.1 they come
under). `sigmahq/selection.yaml` lists every rule of SigmaHQ's cloud folder once: included or
not, the reason when not, and a severity cap (with its reason) for a rule that fired on benign
fixtures, and a category where the one its ATT&CK tags give differs from the one tracehound's
own tools give the same records. `compiled(folder)` converts a folder once per process and
keeps it, so a case pays only for running the rules, never again for converting them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import yaml

from ..model import SEVERITY_RANK
if TYPE_CHECKING:
    from .convert import RuleInfo, RuleSet

SIGMAHQ = Path(__file__).parent / "sigmahq"
SIGMAHQ_RULES = SIGMAHQ / "rules"
SELECTION = SIGMAHQ / "selection.yaml"
ORIGIN = "sigmahq"
LICENSE = "Detection Rule License (DRL) 1.1"


@dataclass(frozen=True)
class Selected:
    """One SigmaHQ rule's entry in selection.yaml."""

    id: str
    title: str
    file: str                       # relative to SigmaHQ's rules/cloud/
    status: str | None
    logsource: str
    level: str | None
    included: bool
    reason_kind: str | None = None  # why not included (unsupported-logsource, experimental...)
    reason: str | None = None
    max_severity: str | None = None  # cap on the level, where the rule fired on benign data
    severity_reason: str | None = None
    category: str | None = None      # replaces the category its ATT&CK tags give
    category_reason: str | None = None


@dataclass(frozen=True)
class Selection:
    repository: str
    commit: str
    folder: str
    rules: tuple[Selected, ...]
    by_id: Mapping[str, Selected] = field(default_factory=dict, repr=False, compare=False)

    @property
    def source(self) -> str:
        """`SigmaHQ/sigma@<commit>`: where the shipped rules come from."""
        return f"{self.repository}@{self.commit}"

    def entry(self, rule_id: str) -> Selected | None:
        return self.by_id.get(rule_id)


@lru_cache(maxsize=1)
def selection() -> Selection:
    document = yaml.safe_load(SELECTION.read_text(encoding="utf-8"))
    source = document["source"]
    entries = tuple(Selected(**entry) for entry in document["rules"])
    return Selection(source["repository"], source["commit"], source["folder"], entries,
                     {entry.id: entry for entry in entries})


def default_rules() -> RuleSet:
    """The shipped SigmaHQ rules, converted (once per process)."""
    return compiled(SIGMAHQ_RULES, ORIGIN)


def compiled(folder: Path, origin: str = "") -> RuleSet:
    """A folder's rules converted once per process; a user folder is converted again only
    when one of its files changed (name, size or modification time)."""
    root = Path(folder).resolve()
    return _compiled(str(root), origin, _fingerprint(root))


@lru_cache(maxsize=8)
def _compiled(root: str, origin: str, fingerprint: tuple) -> RuleSet:
    from .convert import load_rules          # pySigma: only when rules are converted
    return load_rules(root, origin)


def _fingerprint(root: Path) -> tuple:
    from .convert import rule_files
    found = []
    for path in rule_files(root):
        stat = path.stat()
        found.append((path.relative_to(root).as_posix(), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def capped_severity(info: RuleInfo, severity: str) -> str:
    """The rule's severity, lowered to its cap in selection.yaml for a shipped SigmaHQ rule."""
    entry = selection().entry(info.id) if info.origin == ORIGIN else None
    if entry is None or entry.max_severity is None:
        return severity
    return min(severity, entry.max_severity, key=SEVERITY_RANK.__getitem__)


def chosen_category(info: RuleInfo, category: str) -> str:
    """The category of a shipped SigmaHQ rule's finding where selection.yaml sets one."""
    entry = selection().entry(info.id) if info.origin == ORIGIN else None
    return entry.category if entry is not None and entry.category else category


def attribution(info: RuleInfo) -> dict[str, Any]:
    """What a finding of a shipped SigmaHQ rule must carry (DRL 1.1: the author)."""
    chosen = selection()
    out: dict[str, Any] = {"sigma_license": LICENSE, "sigma_source": chosen.source,
                           "sigma_source_file": f"{chosen.folder}/{info.path}"}
    entry = chosen.entry(info.id)
    if entry is not None and entry.max_severity is not None:
        out["sigma_severity_cap"] = entry.max_severity
        out["sigma_severity_cap_reason"] = entry.severity_reason
    return out
