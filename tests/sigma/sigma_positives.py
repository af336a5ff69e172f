"""Synthetic positive events built from a Sigma rule's own detection block.

`positive(rule)` walks the rule's parsed condition and picks values that satisfy it: every
item of an AND, the first branch of an OR that can be satisfied, nothing for a NOT (a `not`
holds when its field is missing), `*` and `?` filled with `x`, `contains|all` pieces joined,
simple regular expressions (`.+`, `.*`, escaped characters, anchors) spelled out, keywords
written into a `message` field of the record. Each value is then put where tracehound reads
that field for the rule's logsource (sigma/logsources.py): the vendor record, `attrs` or a
typed column. A rule whose detection cannot be satisfied this way raises Infeasible.
"""

from __future__ import annotations

import re
from typing import Any

from sigma.conditions import (ConditionAND, ConditionFieldEqualsValueExpression, ConditionNOT,
                              ConditionOR, ConditionValueExpression)
from sigma.rule import SigmaRule
from sigma.types import (SigmaBool, SigmaExists, SigmaFieldReference, SigmaNull, SigmaNumber,
                         SigmaRegularExpression, SigmaString, SpecialChars)

from tracehound.model import Event, pointer_ref
from tracehound.sigma.logsources import BY_KEY

FILL = "x"
_SIMPLE_RE = re.compile(r"^(\\.|\.\+|\.\*|[^\\.\[\](){}|?*+])*$")


class Infeasible(ValueError):
    pass


def positive(rule: SigmaRule, logsource: str, sha256: str, index: int) -> Event:
    """One event the rule should match."""
    wanted: dict[str, list[Any]] = {}
    keywords: list[str] = []
    _solve(rule.detection.parsed_condition[0].parse(), wanted, keywords)
    values = {name: _combine(name, found) for name, found in wanted.items()}
    return _event(logsource, values, keywords, sha256, index)


def _solve(node: Any, wanted: dict[str, list[Any]], keywords: list[str]) -> None:
    if isinstance(node, ConditionAND):
        for arg in node.args:
            _solve(arg, wanted, keywords)
    elif isinstance(node, ConditionOR):
        errors = []
        for arg in node.args:
            trial = {k: list(v) for k, v in wanted.items()}
            words = list(keywords)
            try:
                _solve(arg, trial, words)
                for name, found in trial.items():
                    _combine(name, found)
            except Infeasible as exc:
                errors.append(str(exc))
                continue
            wanted.clear()
            wanted.update(trial)
            keywords[:] = words
            return
        raise Infeasible("; ".join(errors) or "empty OR")
    elif isinstance(node, ConditionNOT):
        return
    elif isinstance(node, ConditionFieldEqualsValueExpression):
        wanted.setdefault(node.field, []).append(node.value)
    elif isinstance(node, ConditionValueExpression):
        keywords.append(_text(node.value))
    else:
        raise Infeasible(f"condition {type(node).__name__}")


def _combine(name: str, found: list[Any]) -> Any:
    """A value meeting every constraint on one field (None: leave the field out)."""
    if any(isinstance(v, SigmaNull) for v in found):
        if len(found) > 1:
            raise Infeasible(f"{name}: null and a value")
        return None
    if any(isinstance(v, SigmaFieldReference) for v in found):
        raise Infeasible(f"{name}: field reference")
    plain = [v for v in found if not isinstance(v, SigmaString) or not v.contains_special()]
    if plain:
        texts = {_scalar(v).lower() if isinstance(_scalar(v), str) else _scalar(v)
                 for v in plain}
        if len(texts) > 1:
            raise Infeasible(f"{name}: two different values")
        return _scalar(plain[0])
    start, middle, end = "", [], ""
    for value in found:
        text = _text(value)
        if isinstance(value, SigmaString) and not value.startswith(SpecialChars.WILDCARD_MULTI):
            start = text
        elif isinstance(value, SigmaString) and not value.endswith(SpecialChars.WILDCARD_MULTI):
            end = text
        else:
            middle.append(text)
    return start + "".join(middle) + end


def _scalar(value: Any) -> Any:
    if isinstance(value, SigmaNumber):
        return value.number
    if isinstance(value, SigmaBool):
        return value.boolean
    if isinstance(value, SigmaExists):
        return FILL
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, SigmaString):
        return value.convert(escape_char="", wildcard_multi=FILL, wildcard_single=FILL,
                             add_escaped="")
    if isinstance(value, SigmaRegularExpression):
        return _from_regex(str(value.regexp))
    if isinstance(value, (SigmaNumber, SigmaBool)):
        return str(_scalar(value)).lower()
    raise Infeasible(f"value {type(value).__name__}")


def _from_regex(pattern: str) -> str:
    if not _SIMPLE_RE.match(pattern.lstrip("^").rstrip("$")):
        raise Infeasible(f"regular expression {pattern!r}")
    body = pattern.lstrip("^").rstrip("$")
    body = body.replace(".+", FILL).replace(".*", FILL)
    return re.sub(r"\\(.)", r"\1", body)


def _event(logsource: str, values: dict[str, Any], keywords: list[str], sha256: str,
           index: int) -> Event:
    source = BY_KEY[logsource]
    raw: dict[str, Any] = {}
    attrs: dict[str, Any] = {}
    columns: dict[str, Any] = {"action": "synthetic"}
    for field, value in values.items():
        if value is None:
            continue
        kind, _, path = source.where(source.canonical(field))[0].partition(":")
        if kind == "raw":
            _put(raw, path.split("."), value)
        elif kind == "attrs":
            attrs[path] = value
        else:
            columns[path] = str(value)
    if keywords:
        raw["message"] = " ".join(keywords)
    return Event(ref=pointer_ref(sha256, "records", index), source=source.sources[0],
                 time=f"2026-01-01T00:{index // 60:02d}:{index % 60:02d}Z", raw=raw,
                 attrs=attrs, **columns)


def _put(record: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        record = record.setdefault(key, {})
        if not isinstance(record, dict):
            raise Infeasible(f"{'.'.join(keys)}: a value and an object")
    record[keys[-1]] = value
