"""The core types every stage passes along: evidence, events, findings, parse issues.

No logic here beyond validation and stable identifiers. Every Event and every Finding carries
at least one EvidenceRef (file sha256 + locator), so a reader can go from any statement back to
the exact bytes that support it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

SEVERITIES = ("info", "low", "medium", "high", "critical")
SEVERITY_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}

ACTION_CLASSES = (
    "list", "read", "write", "delete", "execute", "egress", "permission-change",
    "persistence", "authentication", "consent", "other",
)
HIGH_IMPACT_CLASSES = frozenset(
    {"write", "delete", "execute", "egress", "permission-change", "persistence"})
ACTOR_KINDS = ("agent", "human", "service-principal", "unknown")

AGENT_CATEGORIES = (
    "scope-creep", "prompt-action-divergence", "unattended-action", "credential-exposure",
    "over-privileged-grant", "mcp-tool-escalation", "persistence", "exfiltration",
    "prompt-injection-indicator", "runtime-escape-indicator",
)
CLOUD_CATEGORIES = (
    "inbox-rule", "mail-forwarding", "transport-rule", "bulk-download", "role-assignment",
    "oauth-consent", "audit-tampering", "anomalous-signin", "mfa-change", "rbac-change",
    "network-change", "resource-change", "defender-alert",
)
DRIFT_CATEGORIES = (
    "drift-new-tool", "drift-new-data-scope", "drift-label-breach", "drift-volume",
    "drift-policy-hit-rate", "drift-version-change",
)
CATEGORIES = frozenset(AGENT_CATEGORIES + CLOUD_CATEGORIES + DRIFT_CATEGORIES)


def short_hash(*parts: str, length: int = 16) -> str:
    """A stable hex id from text parts (joined with NUL so parts cannot run together)."""
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:length]


class _RefJson:
    """Its instances exist only to lend their __dict__ as a ref's JSON: CPython lets the
    attribute dicts of one class share a single key table (PEP 412), so the millions of refs
    of a large trace hold their two keys once. To every reader they are plain dicts."""

    def __init__(self, sha256: str, locator: str):
        self.sha256 = sha256
        self.locator = locator


@dataclass(frozen=True, slots=True, order=True)
class EvidenceRef:
    """Where a fact lives: the file's sha256 plus `line N`, `row N` or `json:/pointer`."""

    sha256: str
    locator: str

    def __post_init__(self) -> None:
        if len(self.sha256) != 64:
            raise ValueError(f"EvidenceRef needs a full sha256, got {self.sha256!r}")
        if not self.locator.startswith(("line ", "row ", "json:")):
            raise ValueError(f"unknown locator form {self.locator!r}")

    def to_json(self) -> dict[str, str]:
        return vars(_RefJson(self.sha256, self.locator))


def line_ref(sha256: str, line: int) -> EvidenceRef:
    return EvidenceRef(sha256, f"line {line}")


def row_ref(sha256: str, row: int) -> EvidenceRef:
    return EvidenceRef(sha256, f"row {row}")


def json_pointer(*tokens: str | int) -> str:
    """RFC 6901 pointer from path tokens ('~' -> '~0', '/' -> '~1')."""
    escaped = (str(t).replace("~", "~0").replace("/", "~1") for t in tokens)
    return "/" + "/".join(escaped) if tokens else ""


def pointer_ref(sha256: str, *tokens: str | int) -> EvidenceRef:
    return EvidenceRef(sha256, "json:" + json_pointer(*tokens))


@dataclass(frozen=True, slots=True)
class EvidenceFile:
    """One input file as received: where it was, its hash and size, and how it was read."""

    path: str                      # as the user named it (or archive!member), never rewritten
    sha256: str
    size: int
    format: str | None = None      # parser name, None when no parser recognised it
    parser_version: str | None = None
    reason: str = ""               # one line: why the sniffer chose this format
    hashed_at: str = ""            # UTC ISO time of the first hash (omitted when reproducible)

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "bytes": self.size,
                "format": self.format, "parser_version": self.parser_version,
                "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ParseIssue:
    """Something in an input that could not be read as its format says. Never dropped."""

    path: str
    locator: str
    problem: str
    # a note about the whole input (times without a zone, a sub-agent without its parent),
    # not a record that could not be read: it does not count toward thin evidence
    notice: bool = field(default=False, compare=False)

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "locator": self.locator, "problem": self.problem}

    def render(self) -> str:
        return f"tracehound: {self.path}:{self.locator}: {self.problem}"


class TextSpill:
    """An unnamed temporary file that long texts are written to once the case store holds
    them: the process keeps only where each one is (`HeldText`). Closed, and gone, when the
    last HeldText that points into it is."""

    def __init__(self) -> None:
        import tempfile
        self._file = tempfile.TemporaryFile(prefix="tracehound-texts-")
        self._end = 0

    def put(self, text: str) -> tuple[int, int]:
        """(offset, bytes) of the text written (UTF-8, lone surrogates kept)."""
        data = text.encode("utf-8", "surrogatepass")
        at = self._end
        self._file.write(data)
        self._end += len(data)
        return at, len(data)

    def get(self, at: int, size: int) -> str:
        import os
        self._file.flush()
        return os.pread(self._file.fileno(), size, at).decode("utf-8", "surrogatepass")


class HeldText:
    """A long text attr (a tool's output) that the event no longer holds: the case store has
    it in the attrs JSON and a TextSpill has a copy, read back by `text()` (and `str()`).
    What the agent tools ask of every output was read while the text was held: the secrets
    in it (`secret_hits`: effects.secrets' (kind, value) pairs) and the instructions it
    addresses to the agent (`instructions`: instruction_text.instructions_in's snippets at
    its default limit). Compares and hashes as its text."""

    __slots__ = ("_spill", "_at", "_size", "length", "secret_hits", "instructions")

    def __init__(self, text: str, spill: TextSpill, secret_hits: tuple, instructions: tuple):
        self._spill = spill
        self._at, self._size = spill.put(text)
        self.length = len(text)
        self.secret_hits = secret_hits
        self.instructions = instructions

    def text(self) -> str:
        return self._spill.get(self._at, self._size)

    def __str__(self) -> str:
        return self.text()

    def __len__(self) -> int:
        return self.length

    def __bool__(self) -> bool:
        return self.length > 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeldText):
            other = other.text()
        return isinstance(other, str) and self.text() == other

    def __hash__(self) -> int:
        return hash(self.text())

    def __repr__(self) -> str:
        return f"HeldText({self.length} characters)"

    def __reduce__(self) -> tuple:
        return (str, (self.text(),))     # pickled or deep-copied: the text itself


@dataclass(frozen=True, slots=True)
class Event:
    """One normalized thing that happened, with the raw record kept as it was.

    Field names follow OCSF / OpenTelemetry GenAI where one exists. `attrs` holds further
    normalized, source-specific fields (e.g. tool_call_id, stated_intent, src_ip, user_agent,
    country, scopes) under documented snake_case keys; `raw` is the vendor record untouched.
    """

    ref: EvidenceRef
    source: str                        # namespaced data type, e.g. "agent:tool_call", "m365:ual"
    time: str | None                   # UTC ISO 8601 with Z, or None when the record has none
    action: str                        # as the vendor named it: aws.s3.get-object, New-InboxRule
    action_class: str = "other"        # one of ACTION_CLASSES
    actor_id: str | None = None
    actor_kind: str = "unknown"        # one of ACTOR_KINDS
    target_id: str | None = None
    target_type: str | None = None
    target_label: str | None = None    # sensitivity label, data category
    outcome: str | None = None         # success | failure | blocked | None
    session: str | None = None
    step: int | None = None
    parent_step: int | None = None
    approver: str | None = None
    bytes_in: int | None = None
    bytes_out: int | None = None
    attrs: Mapping[str, Any] = field(default_factory=dict)
    raw: Any = None

    def __post_init__(self) -> None:
        if self.action_class not in ACTION_CLASSES:
            raise ValueError(f"unknown action class {self.action_class!r}")
        if self.actor_kind not in ACTOR_KINDS:
            raise ValueError(f"unknown actor kind {self.actor_kind!r}")

    @property
    def id(self) -> str:
        return short_hash(self.ref.sha256, self.ref.locator)


@dataclass(frozen=True, slots=True)
class Finding:
    """A statement of fact that an analyzer makes, with the evidence that supports it."""

    rule: str                          # stable rule id, TH-AGENT-DIVERGENCE style
    tool: str                          # analyzer name that produced it
    category: str                      # one of CATEGORIES
    severity: str                      # one of SEVERITIES
    title: str
    statement: str                     # one sentence stating only what the evidence shows
    refs: tuple[EvidenceRef, ...]
    time: str | None = None
    step: int | None = None
    session: str | None = None
    actor: str | None = None
    target: str | None = None
    techniques: tuple[str, ...] = ()
    engine_version: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    # Tells apart findings of one rule that rest on the same evidence (two new sites named in
    # one audit record); part of the id only when set, so other findings keep their ids.
    key: str = ""
    # A grouped finding (CONTRACT.md, additions of 2026-12): every member step's index, in
    # order; `step` and `time` are the first member's. Empty for a one-step finding.
    steps: tuple[int, ...] = ()
    # A grouped finding of records, not steps (a burst of like cloud operations): how many
    # members it stands for (one primary ref each); 0 for a finding of its own
    count: int = 0

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown finding category {self.category!r}")
        if self.severity not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {self.severity!r}")
        if not self.refs:
            raise ValueError(f"finding {self.rule} has no evidence refs")

    @property
    def id(self) -> str:
        refs = sorted(f"{r.sha256}:{r.locator}" for r in self.refs)
        if self.key:
            return short_hash(self.rule, self.key, *refs)
        return short_hash(self.rule, *refs)

    def sort_key(self) -> tuple:
        return (self.time or "", self.step if self.step is not None else -1, self.rule, self.id)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "rule": self.rule, "tool": self.tool, "category": self.category,
            "severity": self.severity, "time": self.time, "step": self.step,
            "session": self.session, "actor": self.actor, "target": self.target,
            "title": self.title, "statement": self.statement,
            "refs": [r.to_json() for r in sorted(set(self.refs))],
            "techniques": sorted(self.techniques), "engine_version": self.engine_version,
        }
        if len(self.steps) > 1:
            out["steps"] = list(self.steps)
            out["count"] = len(self.steps)
        elif self.count > 1:
            out["count"] = self.count
        if self.details:
            out["details"] = json.loads(json.dumps(self.details, sort_keys=True, default=str))
        return out
