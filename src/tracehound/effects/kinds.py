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
