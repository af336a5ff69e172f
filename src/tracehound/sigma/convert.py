"""A folder of Sigma YAML -> converted rules (WHERE clauses + metadata) and rejected ones.

Every file is read on its own, so one broken rule never hides the others; every rule that
cannot be converted is kept with the reason, grouped into a short `kind` (unsupported
modifier, correlation rule, invalid rule, ...) so a run over hundreds of rules can say why the
rest did not convert. Nothing is fetched: a rule's references are only text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import yaml
from sigma.collection import SigmaCollection
from sigma.correlations import SigmaCorrelationRule
from sigma.exceptions import SigmaError, SigmaFeatureNotSupportedByBackendError
from sigma.rule import SigmaDetection, SigmaDetectionItem, SigmaRule
from sigma.types import SigmaFieldReference

from .backend import EventsBackend
from .logsources import BY_KEY

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class RuleInfo:
    """What a finding says about the Sigma rule that produced it."""

    id: str
    title: str
    level: str | None
    status: str | None
    author: str | None
    tags: tuple[str, ...]
    product: str | None
    service: str | None
    path: str                           # relative to the folder that was loaded
    origin: str = ""                    # "sigmahq" for the rules shipped by default

    @property
    def logsource(self) -> str:
        return f"{self.product or '-'}/{self.service or '-'}"


@dataclass(frozen=True)
class ConvertedRule:
    info: RuleInfo
    logsource: str | None               # mapped logsource key, None when unmapped
    wheres: tuple[str, ...]             # one WHERE expression per rule condition
    fields: tuple[str, ...]             # columns the expressions read
    keywords: bool                      # uses full-text search


@dataclass(frozen=True)
class RejectedRule:
    path: str
    title: str | None
    kind: str                           # grouping of the reason
    problem: str


@dataclass
class RuleSet:
    folder: str
    converted: list[ConvertedRule]
    rejected: list[RejectedRule]


def rule_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())


def load_rules(folder: str | Path, origin: str = "") -> RuleSet:
    root = Path(folder)
    backend = EventsBackend()
    converted: list[ConvertedRule] = []
    rejected: list[RejectedRule] = []
    for path in rule_files(root):
        relative = path.relative_to(root).as_posix()
        for item in convert_file(backend, path.read_text(encoding="utf-8", errors="replace"),
                                 relative, origin):
            (converted if isinstance(item, ConvertedRule) else rejected).append(item)
    return RuleSet(str(root), converted, rejected)


def convert_file(backend: EventsBackend, text: str, relative: str, origin: str = ""
                 ) -> Iterable[ConvertedRule | RejectedRule]:
    try:
        # what SigmaCollection.from_yaml does, with libyaml's parser (4x faster) when present
        collection = SigmaCollection.from_dicts(list(yaml.load_all(text, Loader=_LOADER)),
                                                collect_errors=True)
    except (SigmaError, ValueError, yaml.YAMLError) as exc:   # not a Sigma document at all
        yield RejectedRule(relative, None, "invalid YAML", _first_line(exc))
        return
    if not collection.rules:        # errors that belong to no rule (rule errors come below)
        for problem in collection.errors:
            yield RejectedRule(relative, None, "invalid rule", _first_line(problem))
    for rule in collection.rules:
        if isinstance(rule, SigmaCorrelationRule):
            yield RejectedRule(relative, rule.title, "correlation rule",
                               "correlation rules are not run by tracehound")
            continue
        if rule.errors:
            yield RejectedRule(relative, rule.title, "invalid rule",
                               _first_line(rule.errors[0]))
            continue
        yield convert_rule(backend, rule, relative, origin)


def convert_rule(backend: EventsBackend, rule: SigmaRule, relative: str, origin: str = ""
                 ) -> ConvertedRule | RejectedRule:
    try:
        queries = backend.convert_rule(rule)
    except SigmaFeatureNotSupportedByBackendError as exc:
        return RejectedRule(relative, rule.title, "unsupported by the backend", _first_line(exc))
    except (SigmaError, NotImplementedError, TypeError, ValueError) as exc:
        return RejectedRule(relative, rule.title, _kind(exc), _first_line(exc))
    if not queries:
        return RejectedRule(relative, rule.title, "empty conversion", "no query produced")
    logsource = queries[0]["logsource"]
    fields, keywords = detection_fields(rule)
    return ConvertedRule(rule_info(rule, relative, origin), logsource,
                         tuple(q["where"] for q in queries), fields, keywords)


def detection_fields(rule: SigmaRule) -> tuple[tuple[str, ...], bool]:
    """Field names the (pipeline-processed) rule reads, and whether it searches keywords."""
    fields: dict[str, None] = {}
    keywords = False

    def walk(node: SigmaDetection | SigmaDetectionItem) -> None:
        nonlocal keywords
        if isinstance(node, SigmaDetection):
            for child in node.detection_items:
                walk(child)
            return
        if node.field is None:
            keywords = True
        else:
            fields.setdefault(node.field)
        for value in node.value:
            if isinstance(value, SigmaFieldReference):
                fields.setdefault(value.field)

    for detection in rule.detection.detections.values():
        walk(detection)
    return tuple(fields), keywords


def rule_info(rule: SigmaRule, relative: str, origin: str = "") -> RuleInfo:
    rule_id = str(rule.id) if rule.id else hashlib.sha256(
        f"{relative}\x00{rule.title}".encode()).hexdigest()[:16]
    level = rule.level.name.lower() if rule.level else None
    status = rule.status.name.lower() if rule.status else None
    tags = tuple(sorted(f"{t.namespace}.{t.name}" for t in rule.tags))
    return RuleInfo(rule_id, rule.title, level, status, rule.author, tags,
                    rule.logsource.product, rule.logsource.service, relative, origin)


def mapped(rule: ConvertedRule) -> bool:
    return rule.logsource in BY_KEY


def _kind(exc: BaseException) -> str:
    name = type(exc).__name__
    if "Modifier" in name or "modifier" in str(exc):
        return "unsupported modifier"
    if "Regular" in name:
        return "unsupported regular expression"
    return name


def _first_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
