"""OpenHands sessions -> events: event streams and evaluation / resolver output.

Shapes read (the events themselves: `openhands_events.py`):
- an event stream: a JSON array of serialized events (a saved trajectory, the server's
  `/trajectory` answer `{"trajectory": [...]}`), or one event file of a conversation's
  `events/` folder (one event object);
- evaluation output `output.jsonl`: one object a line with `instance_id`, `instruction`,
  `instance` (`problem_statement`), `metadata` (`agent_class`, `llm_config`, `start_time`),
  `history` (the event list, or [action, observation] pairs in older versions) and
  `test_result.git_patch`; resolver output lines: `issue` ({owner, repo, number, title,
  body}), `instruction`, `history`, `git_patch`, `success`. Each line is one session;
- a conversation's `metadata.json` (conversation_id, selected_repository / branch, trigger,
  title, created_at): the session record of the conversation's folder.
Sessions are named `openhands-<file sha256[:12]>` (plus `:<instance id>` for output lines).
A per-event file (`<conversation>/events/<id>.json`) and a `metadata.json` name no
conversation in their content, so their session is named after the conversation's folder
(`openhands-<folder>`): the files of one folder share it, and nothing else is read from the
path. A per-event file yields the session record only when it holds the `system` event.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

from ...model import Event, EvidenceRef, ParseIssue
from .builder import TraceBuilder
from .common import as_dict, as_list, as_text, json_documents
from .openhands_events import RUNTIME, Context, HistoryReader, flatten, session_facts
from ..base import Parser, Sample, Source
from ..registry import register

SOURCES = ("user", "agent", "environment")
_EVENT_TEXT = re.compile(r'"source"\s*:\s*"(?:user|agent|environment)"')
_KIND_TEXT = re.compile(r'"(?:action|observation)"\s*:\s*"[a-z_]+"')
_OUTPUT_TEXT = re.compile(r'"history"\s*:\s*\[|"test_result"\s*:\s*\{\s*"git_patch"')

Ref = Callable[..., EvidenceRef]


def is_event(value: Any) -> bool:
    return isinstance(value, dict) and value.get("source") in SOURCES and (
        isinstance(value.get("action"), str) or isinstance(value.get("observation"), str))


def looks_like_events(values: Any) -> bool:
    """The first entries of a list are OpenHands events (or [action, observation] pairs)."""
    head = []
    for entry in as_list(values)[:5]:
        head += entry if isinstance(entry, list) else [entry]
    return bool(head) and all(is_event(entry) for entry in head)


def kind_of(doc: Any) -> str | None:
    """event-list | event | output | trajectory | conversation, or None."""
    if isinstance(doc, list):
        return "event-list" if looks_like_events(doc) else None
    if not isinstance(doc, dict):
        return None
    if is_event(doc):
        return "event"
    if isinstance(doc.get("conversation_id"), str) and "selected_repository" in doc and \
            "created_at" in doc:
        return "conversation"
    if isinstance(doc.get("history"), list) and (
            looks_like_events(doc["history"]) or ("instruction" in doc and (
                "instance_id" in doc or "issue" in doc))):
        return "output"
    if looks_like_events(doc.get("trajectory")):
        return "trajectory"
    return None


@register
class OpenHandsParser(Parser):
    name = "openhands"
    version = "1"
    description = ("OpenHands event streams (JSON event list, per-event files) and "
                   "evaluation / resolver output JSONL (history, git_patch)")
    example = "Python_OpenHands-output.jsonl"

    def sniff(self, sample: Sample) -> str | None:
        kind = kind_of(sample.document)
        if kind is None and sample.records:
            kind = "output" if kind_of(sample.records[0]) == "output" else None
        if kind is not None:
            return {"event-list": "OpenHands event stream: a JSON list of action / "
                                  "observation events with source",
                    "event": "OpenHands event: one action / observation event with source",
                    "trajectory": "OpenHands trajectory export: {trajectory: [events]}",
                    "conversation": "OpenHands conversation metadata: conversation_id, "
                                    "selected_repository, created_at",
                    "output": "OpenHands evaluation / resolver output: records with "
                              "instruction and an event history"}[kind]
        return _sniff_text(sample)

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        issues: list[ParseIssue] = []
        documents = json_documents(source, issues)
        first = next(documents, None)
        # one event of a per-event folder, or a conversation's metadata.json, holds by design
        # no step and no turn of its own: no "nothing read" issue for it
        fragment = first is not None and kind_of(first[0]) in ("event", "conversation")
        builder = TraceBuilder(RUNTIME, source, order="file", expect_reading=not fragment)
        for doc, at in _chain(first, documents):
            _drain(builder, issues)             # a bad line before this one, in file order
            read_document(builder, source, doc, at)
        _drain(builder, issues)
        yield from builder.build()


def _chain(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is not None:
        yield first
    yield from rest


def _drain(builder: TraceBuilder, issues: list[ParseIssue]) -> None:
    for issue in issues:
        builder.add(issue)
    issues.clear()


def _sniff_text(sample: Sample) -> str | None:
    """A document longer than the sample (a long first output line, a huge event list)."""
    if sample.records or sample.document is not None:
        return None
    head = sample.text.lstrip()[:16384]
    if head.startswith("[") and _EVENT_TEXT.search(head) and _KIND_TEXT.search(head):
        return "OpenHands event stream: a JSON list of action / observation events " \
               "(longer than the sample)"
    if head.startswith("{") and '"instance_id"' in head[:4096] and \
            _OUTPUT_TEXT.search(sample.text):
        return "OpenHands evaluation output: instance_id with history / test_result.git_patch " \
               "(first record longer than the sample)"
    return None


def read_document(builder: TraceBuilder, source: Source, doc: Any, at: Ref) -> None:
    """One JSON document (or NDJSON line) into the builder."""
    kind = kind_of(doc)
    base = f"openhands-{source.sha256[:12]}"
    if kind == "output" or (kind is None and isinstance(doc, dict)
                            and isinstance(doc.get("history"), list)):
        read_output(builder, doc, at, base)
        return
    if kind is None:
        builder.issue(at().locator, "not an OpenHands event, event list or output record")
        return
    if kind == "conversation":
        read_conversation(builder, doc, at(), folder_session(source) or base)
        return
    if kind == "event":
        base = folder_session(source) or base
        items = [(doc, at())]
    elif kind == "trajectory":
        items = flatten(doc["trajectory"], lambda *t: at("trajectory", *t))
    else:
        items = flatten(doc, at)
    context = Context(base, single_event=kind == "event")
    facts = session_facts(items)
    context.agent_class = facts.get("agent_class")
    if kind != "event" or doc.get("action") == "system":
        builder.session_meta(items[0][1], base, time=_start(builder, facts, items[0][1]),
                             runtime_version=facts.get("runtime_version"),
                             agent_kind="coding", model=facts.get("model"),
                             agent_class=context.agent_class)
    HistoryReader(builder, context, items).read()


def folder_session(source: Source) -> str | None:
    """`openhands-<conversation folder>` for a file of a conversation's folder (its
    `events/<id>.json` or `metadata.json`), or None when the path names no folder."""
    parts = [p for p in re.split(r"[/\\!]", source.path) if p and p not in (".", "..")]
    if len(parts) >= 3 and parts[-2] == "events":
        return f"openhands-{parts[-3]}"
    if len(parts) >= 2 and parts[-1] == "metadata.json":
        return f"openhands-{parts[-2]}"
    return None


def read_conversation(builder: TraceBuilder, doc: dict[str, Any], ref: EvidenceRef,
                      session: str) -> None:
    """A conversation's metadata.json: its session record (no step, no turn)."""
    builder.session_meta(
        ref, session, time=builder.time(doc.get("created_at"), ref), agent_kind="coding",
        model=as_text(doc.get("llm_model")), conversation_id=as_text(doc["conversation_id"]),
        git_remote=as_text(doc.get("selected_repository")),
        git_branch=as_text(doc.get("selected_branch")), trigger=as_text(doc.get("trigger")),
        title=as_text(doc.get("title")), raw=doc)


def read_output(builder: TraceBuilder, record: dict[str, Any], at: Ref, base: str) -> None:
    """One evaluation or resolver output record: one session."""
    instance, issue = as_dict(record.get("instance")), as_dict(record.get("issue"))
    metadata = as_dict(record.get("metadata"))
    label = as_text(record.get("instance_id")) or as_text(instance.get("instance_id")) or \
        _issue_label(issue) or at().locator.replace(" ", "-")
    session = f"{base}:{label}"
    llm = as_dict(metadata.get("llm_config"))
    items = flatten(as_list(record.get("history")), lambda *t: at("history", *t))
    facts = session_facts(items)
    context = Context(session, as_text(instance.get("problem_statement")) or
                      as_text(issue.get("body")), as_text(record.get("instruction")),
                      as_text(llm.get("model")),
                      as_text(metadata.get("agent_class")) or facts.get("agent_class"))
    started = metadata.get("start_time")
    time = builder.time(started, at("metadata", "start_time")) if started is not None \
        else _start(builder, facts, at())
    test_result = as_dict(record.get("test_result"))
    builder.session_meta(
        at(), session, time=time, runtime_version=facts.get("runtime_version"),
        agent_kind="coding", model=context.model or facts.get("model"),
        agent_class=context.agent_class, instance_id=label,
        git_commit=as_text(metadata.get("git_commit")),
        git_patch=as_text(test_result.get("git_patch")) or as_text(record.get("git_patch")),
        error=as_text(record.get("error")), success=record.get("success"), raw=metadata)
    HistoryReader(builder, context, items).read()


def _issue_label(issue: dict[str, Any]) -> str | None:
    owner, repo, number = (as_text(issue.get(k)) for k in ("owner", "repo", "number"))
    return f"{owner}/{repo}#{number}" if owner and repo and number else None


def _start(builder: TraceBuilder, facts: dict[str, Any], ref: EvidenceRef) -> str | None:
    return builder.time(facts["start"], ref) if "start" in facts else None
