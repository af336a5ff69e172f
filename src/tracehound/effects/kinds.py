"""The Effect type and the effect kinds every table maps to (docs/effects.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# kind -> severity when the effect goes beyond what the human and the envelope allowed.
# (A broken explicit prohibition is high whatever the kind; public payloads are critical.)
EFFECT_KINDS: dict[str, str] = {
    "file-read": "low",
    "file-write": "medium",
    "file-delete": "medium",
    "credential-read": "medium",
    "exec": "low",
    "opaque-execution": "medium",
    "package-install": "low",
    "privilege": "medium",
    "vcs-commit": "low",
    "vcs-history-rewrite": "medium",
    "vcs-push": "medium",
    "vcs-force-push": "high",
    "vcs-remote-delete": "high",
    "vcs-no-verify": "medium",
    "download": "low",
    "upload": "high",
    "publish": "medium",
    "message-send": "medium",
    "cloud-read": "medium",
    "cloud-write": "high",
    "cloud-delete": "high",
    "persistence-write": "high",
    "remote-exec": "medium",
    "tool-call": "low",
}
# (kind, place) whose severity differs from the kind's: writing a new file somewhere outside
# the repository that is neither a dotfile, a system place, a persistence location nor a
# credential store is a scratch file (the other places have kinds or severities of their own).
SEVERITY_BY_PLACE: dict[tuple[str, str | None], str] = {
    ("file-write", "outside"): "low",
    # application settings under the home that are neither persistence nor credentials
    ("file-write", "home-dotfile"): "low",
    # writing a secrets file (a project's .env) reads no secret; overwriting one is listed
    ("file-write", "credential-store"): "low",
    # the runtime's transcripts of every session hold what those sessions saw
    ("file-read", "agent-history"): "medium",
}
# (kind, detail) whose severity differs from the kind's: amending the last commit or rebasing
# local commits changes nothing anyone else has (a force push after it is high on its own);
# a hard reset, a filter-branch or a dropped stash loses work and keeps the kind's severity.
SEVERITY_BY_DETAIL: dict[tuple[str, str | None], str] = {
    ("vcs-history-rewrite", "amend"): "low",
    ("vcs-history-rewrite", "rebase"): "low",
}


def severity_of(effect: "Effect") -> str:
    """The severity of an effect that nothing allowed (before production and transfer size)."""
    return SEVERITY_BY_DETAIL.get((effect.kind, effect.detail)) or SEVERITY_BY_PLACE.get(
        (effect.kind, effect.where), EFFECT_KINDS.get(effect.kind, "low"))


# Effects that change nothing outside the session's own reading.
READING_KINDS = frozenset({"file-read", "download", "cloud-read", "tool-call"})
# Effects that send something out of the machine.
OUTGOING_KINDS = frozenset({"upload", "publish", "message-send", "vcs-push", "vcs-force-push"})


@dataclass(frozen=True, slots=True)
class Effect:
    """One thing a step does to the world."""

    kind: str                      # one of EFFECT_KINDS
    object: str | None = None      # path, host, "remote branch", s3://bucket/key, server/tool
    where: str | None = None       # class of the object: a path class (paths.py) or host class
    direction: str | None = None   # "in" / "out" for transfers
    public: bool = False           # public gist, public ACL, paste site, public repo issue
    production: bool = False       # a profile / project / context naming production
    detail: str | None = None      # short qualifier: "force-with-lease", "mcp server foo"

    def __post_init__(self) -> None:
        if self.kind not in EFFECT_KINDS:
            raise ValueError(f"unknown effect kind {self.kind!r}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "object": self.object,
                               "public": self.public, "production": self.production}
        for key in ("where", "direction", "detail"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

# The action class (model.ACTION_CLASSES) a step takes from its effects when its runtime did
# not class it: the class of its strongest effect, strongest first in this order.
ACTION_CLASS_OF: dict[str, str] = {
    "persistence-write": "persistence", "privilege": "permission-change",
    "upload": "egress", "publish": "egress", "message-send": "egress", "vcs-push": "egress",
    "vcs-force-push": "egress", "cloud-delete": "delete", "file-delete": "delete",
    "vcs-remote-delete": "delete", "cloud-write": "write", "file-write": "write",
    "vcs-commit": "write", "vcs-history-rewrite": "write", "opaque-execution": "execute",
    "remote-exec": "execute", "vcs-no-verify": "execute", "package-install": "execute",
    "exec": "execute", "credential-read": "read", "cloud-read": "read", "download": "read",
    "file-read": "read", "tool-call": "other",
}
_CLASS_RANK = {kind: rank for rank, kind in enumerate(ACTION_CLASS_OF)}


def strongest_first(effects: "list[Effect]") -> "list[Effect]":
    """The effects in the order of ACTION_CLASS_OF (a push before a commit before a read)."""
    return sorted(effects, key=lambda e: _CLASS_RANK.get(e.kind, len(_CLASS_RANK)))


def action_class_of(effects: "tuple[Effect, ...] | list[Effect]") -> str:
    """The class of the strongest of the effects ("other" for none)."""
    if not effects:
        return "other"
    strongest = min(effects, key=lambda e: _CLASS_RANK.get(e.kind, len(_CLASS_RANK)))
    return ACTION_CLASS_OF.get(strongest.kind, "other")


def mechanism(name: str) -> tuple[str, tuple[str, ...]] | None:
    """(wording, ATT&CK ids) of a persistence mechanism (data/mechanisms.yaml), or None."""
    from .tables import table
    row = table("mechanisms")["mechanisms"].get(name)
    return (row["wording"], tuple(row["techniques"])) if row else None
