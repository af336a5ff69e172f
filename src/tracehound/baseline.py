"""The scope baseline (seed 003's B1-B5 per governed agent), read from YAML as CONTRACT.md shows.

Every problem names the file, the line and the key: unknown keys, wrong types, values outside
their vocabulary. The YAML is read as a node tree (`yaml.compose`) so each value keeps its line,
and scalars are taken as written (a version `1.10` stays the text "1.10", never the float 1.1).
All problems of a file are collected before `BaselineError` is raised.

Comparisons the baseline defines, used by the drift engine and by `tracehound.scope`:
agent ids, tool names, operations, action categories and labels compare case-insensitively;
data sources are glob patterns (`*` any run of characters, `?` one character) matched against
the whole resource id or SiteUrl, case-insensitively; versions compare exactly.
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

OPERATIONS = ("read", "write", "execute")
ACTIONS = ("Read", "Generate", "DraftWrite", "Notify", "Execute", "Block", "Escalate")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_VOLUME_FACTOR = 3.0
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$|^24:00$")
_NULL_TAG = "tag:yaml.org,2002:null"


class BaselineError(ValueError):
    """Every problem of one baseline file, each as `FILE:line N: what was wrong`."""

    def __init__(self, path: str, problems: list[tuple[int, str]]):
        self.path = path
        self.problems = [f"{path}:line {line}: {text}" for line, text in sorted(problems)]
        more = len(self.problems) - 1
        super().__init__(self.problems[0] + (f" (and {more} more problems)" if more else ""))


def glob_regex(pattern: str) -> str:
    """An anchored regular expression for a data-source glob, lower-cased.

    Written in the subset that Python `re`, DuckDB (RE2) and Spark (Java) read alike: only
    backslash escapes of metacharacters, `.*` and `.`.
    """
    out = []
    for char in pattern.lower():
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif char in ".^$+{}[]\\|()":
            out.append("\\" + char)
        else:
            out.append(char)
    return "^" + "".join(out) + "$"


@dataclass(frozen=True)
class VersionApproval:
    version: str
    ticket: str | None
    line: int

    @property
    def approved(self) -> bool:
        return bool(self.ticket)


@dataclass(frozen=True)
class ToolGrant:
    name: str
    operations: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class LabelBoundary:
    allowed: tuple[str, ...] = ()
    prohibited: tuple[str, ...] = ()
    names: dict[str, str] = field(default_factory=dict)     # label GUID -> display name

    def display(self, label: str) -> str:
        """The label's display name when `names` maps its GUID, else the label as given."""
        lowered = {k.lower(): v for k, v in self.names.items()}
        return lowered.get(label.lower(), label)

    def status(self, label: str | None) -> str | None:
        """prohibited | allowed | unlisted (not in a non-empty allowed set) | None."""
        if not label:
            return None
        keys = {label.lower(), self.display(label).lower()}
        if keys & {p.lower() for p in self.prohibited}:
            return "prohibited"
        if not self.allowed or keys & {a.lower() for a in self.allowed}:
            return "allowed"
        return "unlisted"


@dataclass(frozen=True)
class BusinessHours:
    tz: str
    days: tuple[int, ...]          # ISO weekdays, Monday = 1
    start: str                     # "HH:MM" local time, inclusive
    end: str                       # "HH:MM" local time, exclusive (may be before start: overnight)

    @staticmethod
    def minutes(clock: str) -> int:
        hours, minutes = clock.split(":")
        return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Limits:
    max_actions_per_minute: int | None = None
    max_notifications_per_hour: int | None = None
    business_hours: BusinessHours | None = None
    volume_factor: float = DEFAULT_VOLUME_FACTOR


@dataclass(frozen=True)
class AgentBaseline:
    agent_id: str
    line: int                                   # line of the agent's entry in the file
    name: str | None = None
    owner: str | None = None
    zone: int | None = None
    versions: list[VersionApproval] = field(default_factory=list)
    tools: list[ToolGrant] = field(default_factory=list)
    data_sources: list[str] = field(default_factory=list)
    labels: LabelBoundary = field(default_factory=LabelBoundary)
    actions: list[str] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    specified: frozenset[str] = frozenset()     # the keys the entry sets (absent = unchecked)
    key_lines: dict[str, int] = field(default_factory=dict)

    def allows_tool(self, name: str, operation: str | None = None) -> bool:
        for grant in self.tools:
            if grant.name.lower() == name.lower():
                return operation is None or operation.lower() in grant.operations
        return "tools" not in self.specified

    def allows_resource(self, resource: str) -> bool:
        if "data_sources" not in self.specified:
            return True
        return any(re.match(glob_regex(p), resource.lower()) for p in self.data_sources)

    def allows_action(self, category: str) -> bool:
        if "actions" not in self.specified:
            return True
        return category.lower() in {a.lower() for a in self.actions}

    def approval(self, version: str) -> VersionApproval | None:
        return next((v for v in self.versions if v.version == version), None)


@dataclass(frozen=True)
class Baseline:
    path: str                                  # as the user named it
    sha256: str
    agents: list[AgentBaseline]

    def agent(self, agent_id: str | None) -> AgentBaseline | None:
        """The entry for an agent id (case-insensitive), or None."""
        if not agent_id:
            return None
        wanted = agent_id.lower()
        return next((a for a in self.agents if a.agent_id.lower() == wanted), None)

    def __contains__(self, agent_id: object) -> bool:
        return isinstance(agent_id, str) and self.agent(agent_id) is not None


def load_baseline(path: str | Path) -> Baseline:
    """Read and validate a baseline file; raises BaselineError naming file, line and key."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise BaselineError(shown, [(1, f"cannot read the baseline: {exc.strerror}")]) from None
    return parse_baseline(data, shown)


def parse_baseline(data: bytes, shown: str) -> Baseline:
    reader = _Reader(shown)
    try:
        text = data.decode("utf-8-sig")
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except UnicodeDecodeError as exc:
        raise BaselineError(shown, [(1, f"not UTF-8 text ({exc.reason})")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BaselineError(shown, [(line, f"not valid YAML: {problem}")]) from None
    if root is None:
        raise BaselineError(shown, [(1, "the baseline is empty; expected a mapping with 'agents'")])
    top = reader.mapping(root, {"agents": True}, "the baseline")
    agents: list[AgentBaseline] = []
    if "agents" in top:
        for node in reader.sequence(top["agents"], "agents"):
            agent = _agent(reader, node)
            if agent is not None:
                agents.append(agent)
    seen: dict[str, int] = {}
    for agent in agents:
        if agent.agent_id.lower() in seen:
            reader.problem(agent.line, f"key 'agent_id': agent {agent.agent_id!r} is listed "
                                       f"twice (first at line {seen[agent.agent_id.lower()]})")
        seen.setdefault(agent.agent_id.lower(), agent.line)
    if reader.problems:
        raise BaselineError(shown, reader.problems)
    return Baseline(shown, hashlib.sha256(data).hexdigest(), agents)


AGENT_KEYS = {"agent_id": True, "name": False, "owner": False, "zone": False, "versions": False,
              "tools": False, "data_sources": False, "labels": False, "actions": False,
              "limits": False}


def _agent(reader: "_Reader", node: yaml.Node) -> AgentBaseline | None:
    keys = reader.mapping(node, AGENT_KEYS, "an agent entry")
    agent_id = reader.text(keys["agent_id"], "agent_id") if "agent_id" in keys else None
    if not agent_id:
        if "agent_id" in keys:
            reader.problem(_line(keys["agent_id"]), "key 'agent_id': must not be empty")
        return None
    where = f"agent {agent_id!r}"

    def each(key: str, read: Callable[["_Reader", yaml.Node], Any]) -> list[Any]:
        values = (read(reader, item) for item in reader.sequence(keys.get(key), key))
        return [v for v in values if v]

    actions = each("actions", _action)
    limits = _limits(reader, keys["limits"], where) if "limits" in keys else Limits()
    if "Execute" in actions and limits.max_actions_per_minute is None:
        reader.problem(keys.lines["actions"], f"key 'actions' of {where}: Execute requires "
                                              "limits.max_actions_per_minute")
    return AgentBaseline(
        agent_id=agent_id, line=_line(node),
        name=reader.text(keys["name"], "name") if "name" in keys else None,
        owner=reader.text(keys["owner"], "owner") if "owner" in keys else None,
        zone=reader.integer(keys["zone"], "zone", 1, 3) if "zone" in keys else None,
        versions=each("versions", _version), tools=each("tools", _tool),
        data_sources=reader.text_list(keys.get("data_sources"), "data_sources"),
        labels=_labels(reader, keys["labels"]) if "labels" in keys else LabelBoundary(),
        actions=actions, limits=limits, specified=frozenset(keys), key_lines=dict(keys.lines))


def _version(reader: "_Reader", node: yaml.Node) -> VersionApproval | None:
    keys = reader.mapping(node, {"version": True, "ticket": False}, "a versions entry")
    version = reader.text(keys["version"], "version") if "version" in keys else None
    ticket = reader.text(keys["ticket"], "ticket") if "ticket" in keys else None
    return VersionApproval(version, ticket or None, _line(node)) if version else None


def _tool(reader: "_Reader", node: yaml.Node) -> ToolGrant | None:
    keys = reader.mapping(node, {"name": True, "operations": True}, "a tools entry")
    name = reader.text(keys["name"], "name") if "name" in keys else None
    operations = []
    items = reader.sequence(keys.get("operations"), "operations")
    for item in items:
        op = reader.text(item, "operations")
        if op and op.lower() not in OPERATIONS:
            reader.problem(_line(item), f"key 'operations': {op!r} is not one of "
                                        f"{', '.join(OPERATIONS)}")
        elif op:
            operations.append(op)
    if "operations" in keys and not items:
        reader.problem(_line(keys["operations"]), "key 'operations': list at least one operation")
    return ToolGrant(name, tuple(o.lower() for o in operations), _line(node)) if name else None


def _action(reader: "_Reader", node: yaml.Node) -> str | None:
    value = reader.text(node, "actions")
    canonical = {a.lower(): a for a in ACTIONS}.get((value or "").lower())
    if value is not None and canonical is None:
        reader.problem(_line(node), f"key 'actions': {value!r} is not one of {' '.join(ACTIONS)}")
    return canonical


def _labels(reader: "_Reader", node: yaml.Node) -> LabelBoundary:
    keys = reader.mapping(node, {"allowed": False, "prohibited": False, "names": False}, "labels")
    names: dict[str, str] = {}
    if "names" in keys:
        for key_node, value_node in reader.pairs(keys["names"], "names").items():
            label = reader.text(value_node, f"names.{key_node.value}")
            if label:
                names[key_node.value] = label
    return LabelBoundary(tuple(reader.text_list(keys.get("allowed"), "allowed")),
                         tuple(reader.text_list(keys.get("prohibited"), "prohibited")), names)


LIMIT_KEYS = {"max_actions_per_minute": False, "max_notifications_per_hour": False,
              "business_hours": False, "volume_factor": False}


def _limits(reader: "_Reader", node: yaml.Node, where: str) -> Limits:
    keys = reader.mapping(node, LIMIT_KEYS, f"limits of {where}")
    per_minute = per_hour = None
    if "max_actions_per_minute" in keys:
        per_minute = reader.integer(keys["max_actions_per_minute"], "max_actions_per_minute", 1)
    if "max_notifications_per_hour" in keys:
        per_hour = reader.integer(keys["max_notifications_per_hour"],
                                  "max_notifications_per_hour", 1)
    factor = DEFAULT_VOLUME_FACTOR
    if "volume_factor" in keys:
        factor = reader.number(keys["volume_factor"], "volume_factor") or DEFAULT_VOLUME_FACTOR
    hours = _hours(reader, keys["business_hours"]) if "business_hours" in keys else None
    return Limits(per_minute, per_hour, hours, factor)


def _hours(reader: "_Reader", node: yaml.Node) -> BusinessHours | None:
    if _is_null(node):
        return None
    keys = reader.mapping(node, {"tz": True, "days": True, "from": True, "to": True},
                          "business_hours")
    if len(keys) < 4:
        return None
    tz = reader.text(keys["tz"], "tz") or ""
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        reader.problem(_line(keys["tz"]), f"key 'tz': {tz!r} is not a known time zone")
    days = _days(reader, keys["days"])
    clocks = []
    for key in ("from", "to"):
        value = reader.text(keys[key], key) or ""
        if not _CLOCK.match(value):
            reader.problem(_line(keys[key]), f"key {key!r}: {value!r} is not a HH:MM time")
            value = "00:00"
        clocks.append(value.zfill(5))
    return BusinessHours(tz, days, clocks[0], clocks[1])


def _days(reader: "_Reader", node: yaml.Node) -> tuple[int, ...]:
    if isinstance(node, yaml.SequenceNode):
        words = reader.text_list(node, "days")
    else:
        words = [w.strip() for w in (reader.text(node, "days") or "").split(",")]
    days: set[int] = set()
    for word in words:
        ends = [w.strip().lower()[:3] for w in word.split("-")]
        if len(ends) > 2 or any(end not in DAYS for end in ends):
            reader.problem(_line(node),
                           f"key 'days': {word!r} is not a day or a range like Mon-Fri")
            continue
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
        days.update(d + 1 for d in span)
    return tuple(sorted(days))


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


class _Keys(dict):
    """A mapping's value nodes by key, with the line of each key in `lines`."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, int] = {}


class _Reader:
    """Typed reads of YAML nodes that record a problem (line + key) instead of raising."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[tuple[int, str]] = []

    def problem(self, line: int, text: str) -> None:
        self.problems.append((line, text))

    def pairs(self, node: yaml.Node, what: str) -> dict[yaml.Node, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.problem(_line(node), f"key {what!r}: expected a mapping")
            return {}
        out: dict[Any, yaml.Node] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.value in seen:
                self.problem(_line(key_node), f"key {key_node.value!r} appears twice")
                continue
            seen.add(key_node.value)
            out[key_node] = value_node
        return out

    def mapping(self, node: yaml.Node, allowed: dict[str, bool], what: str) -> "_Keys":
        out = _Keys()
        if not isinstance(node, yaml.MappingNode):
            self.problem(_line(node), f"{what} must be a mapping")
            return out
        for key_node, value_node in self.pairs(node, what).items():
            key = key_node.value
            if key not in allowed:
                known = ", ".join(allowed)
                self.problem(_line(key_node), f"unknown key {key!r} in {what} (known: {known})")
                continue
            out[key] = value_node
            out.lines[key] = _line(key_node)
        for key, required in allowed.items():
            if required and key not in out:
                self.problem(_line(node), f"key {key!r} is missing from {what}")
        return out

    def sequence(self, node: yaml.Node | None, key: str) -> list[yaml.Node]:
        if node is None or _is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(_line(node), f"key {key!r}: expected a list")
            return []
        return list(node.value)

    def text(self, node: yaml.Node, key: str) -> str | None:
        if _is_null(node):
            return None
        if not isinstance(node, yaml.ScalarNode):
            self.problem(_line(node), f"key {key!r}: expected a single value")
            return None
        return node.value.strip()

    def text_list(self, node: yaml.Node | None, key: str) -> list[str]:
        values = (self.text(item, key) for item in self.sequence(node, key))
        return [v for v in values if v]

    def _convert(self, node: yaml.Node, key: str, kind: Callable[[str], Any], what: str) -> Any:
        value = self.text(node, key)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            self.problem(_line(node), f"key {key!r}: {value!r} is not {what}")
            return None

    def integer(self, node: yaml.Node, key: str, low: int, high: int | None = None) -> int | None:
        value = self._convert(node, key, int, "a whole number")
        if value is not None and (value < low or (high is not None and value > high)):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.problem(_line(node), f"key {key!r}: {value} must be {bound}")
            return None
        return value

    def number(self, node: yaml.Node, key: str) -> float | None:
        value = self._convert(node, key, float, "a number")
        if value is not None and not value > 0:
            self.problem(_line(node), f"key {key!r}: {value} must be greater than 0")
            return None
        return value
