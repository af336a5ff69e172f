"""Step 7 of the agent-runaway path: what left, how much, and to where?

A transfer is a flow row (bytes that moved from its source end to its destination), or a step
whose effects send something out (an upload, a publication, a message, a push). It is
reported when
- what it sends carries sensitive content the agent read earlier (a secret, a credential
  store's content, a file outside the repository, a production download; the effects layer's
  payload fingerprints): high to a private destination, critical to a public one, citing the
  read;
- it goes to a public place or a paste / file-drop host, or to a destination outside the
  allowlist (setting `egress_allowlist`, host globs);
- it is large (setting `exfil_bytes`, default 1 MiB) and either the agent sent it or it took
  data out of a store: cloud storage, a step beyond its scope, an object whose name marks it
  sensitive (flow records, the kepler shape).
A transfer that only goes beyond the scope is scope creep (prompt-action-divergence); an
upload the human asked for that carries nothing sensitive stays quiet. One finding per
transfer, with its bytes, origin and destination, citing the flow row and the trace step.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ...effects.command_context import host_class
from ...effects.kinds import Effect
from ...effects.paths import sensitive_name
from ...model import EvidenceRef, Event, Finding
from ..registry import Analyzer, Context, register
from .impact import DEFAULT_EXFIL_BYTES, describe_step, is_cloud_storage
from .steps import AGENT_SOURCES, Step, TraceSet, traces_of

SENDING = frozenset({"upload", "publish", "message-send", "vcs-push", "vcs-force-push"})
STRONG = ("paste", "public", "destination", "carries", "staged")   # any size reports


@dataclass(frozen=True)
class Transfer:
    """Data that moved from one end to the other: a flow row, or a step that sent it."""

    event: Event                    # the network row, or the sending step's call record
    step: Step | None
    bytes: int | None               # bytes that moved from `origin` to `destination`
    origin: str | None              # None: the agent runtime itself sent it
    destination: str | None
    obj: str | None                 # object key / path / URL moved
    effect: Effect | None = None    # the sending effect, for steps

    @property
    def from_agent(self) -> bool:
        return self.origin is None

    @property
    def refs(self) -> tuple[EvidenceRef, ...]:
        return tuple(dict.fromkeys((self.event.ref,) + (self.step.refs if self.step else ())))


@register
class ExfiltrationDetector(Analyzer):
    NAME = "exfiltration-detector"
    VERSION = "2"
    FAMILY = "agent"
    TITLE = "Sensitive payloads, public or unallowed destinations, large transfers"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        threshold = int(ctx.setting("exfil_bytes", DEFAULT_EXFIL_BYTES))
        allowlist = tuple(ctx.setting("egress_allowlist", ()) or ())
        for transfer in transfers(events, traces):
            reasons = reasons_for(transfer, threshold, allowlist)
            if reasons:
                yield self.finding(transfer, reasons, threshold, traces)

    def finding(self, transfer: Transfer, reasons: list[str], threshold: int,
                traces: TraceSet) -> Finding:
        step = transfer.step
        size = f"{transfer.bytes:,} bytes" if transfer.bytes is not None else "data of unknown size"
        what = f" of {transfer.obj}" if transfer.obj and transfer.obj not in (
            transfer.destination, transfer.event.attrs.get("url")) else ""
        origin = transfer.origin or "the agent runtime"
        dest = transfer.destination or "an unrecorded destination"
        at = f" at {describe_step(step)}" if step else f" ({transfer.event.ref.locator})"
        anchor = step.anchor() if step else {
            "time": transfer.event.time, "step": transfer.event.step,
            "session": transfer.event.session, "actor": transfer.event.actor_id,
            "target": transfer.obj}
        hits = list(step.payload_hits) if step is not None else []
        read_refs = _read_refs(step, hits, traces)
        return Finding(
            rule="TH-AGENT-EXFILTRATION", tool=self.NAME, category="exfiltration",
            severity=_severity(transfer, reasons, threshold),
            title="Data moved out of its store by the agent",
            statement=f"{size[0].upper()}{size[1:]}{what} moved from {origin} to {dest}{at}: "
                      f"{'; '.join(reasons)}.",
            refs=transfer.refs + read_refs, techniques=_techniques(transfer, reasons),
            engine_version=self.engine_version,
            details={"bytes": transfer.bytes, "origin": origin, "destination": dest,
                     "object": transfer.obj, "reasons": reasons, "threshold_bytes": threshold,
                     "payload": [h.to_json() for h in hits]},
            **anchor)


def _severity(transfer: Transfer, reasons: list[str], threshold: int) -> str:
    big = transfer.bytes is not None and transfer.bytes >= threshold
    public = _public(transfer)
    carries = any(r.startswith("carries") for r in reasons)
    sensitive = any(r.startswith("sensitive") for r in reasons)
    if (carries and public) or (big and sensitive):
        return "critical"
    if carries or big or any(r.startswith(STRONG) for r in reasons):
        return "high"
    return "medium"


def _public(transfer: Transfer) -> bool:
    effect = transfer.effect
    if effect is not None and (effect.public or effect.where == "paste-site"):
        return True
    return host_class(_host(transfer.destination)) == "paste-site"


def _read_refs(step: Step | None, hits: list[Any], traces: TraceSet
               ) -> tuple[EvidenceRef, ...]:
    """The refs of the earlier steps whose content the payload carries."""
    trace = traces.traces.get(step.session) if step is not None else None
    if trace is None:
        return ()
    refs: list[EvidenceRef] = []
    for hit in hits:
        source = trace.by_index.get(int(hit.source)) if str(hit.source).isdigit() else None
        if source is not None:
            refs += list(source.refs)
    return tuple(refs)


def transfers(events: Sequence[Event], traces: TraceSet) -> list[Transfer]:
    found: list[Transfer] = []
    recorded: set[int] = set()
    for row in events:
        if row.source != "agent:network":
            continue
        step = traces.step_of(row)
        if step is not None:
            recorded.add(id(step))
        found.append(_flow(row, step))
    for step in traces.steps():
        if id(step) in recorded or step.outcome == "rejected":
            continue
        sending = [e for e in step.effects if e.kind in SENDING]
        if not sending:
            continue
        effect = max(sending, key=lambda e: (bool(step.payload_hits), e.public,
                                             e.kind != "vcs-push"))
        call = step.call
        found.append(Transfer(call, step, call.bytes_out, None, effect.object or
                              _host_of_attrs(call.attrs), _object(call, step), effect))
    return found


def _flow(row: Event, step: Step | None) -> Transfer:
    """A flow row: bytes_out moved from its source end (src_host / src_ip, when the row names
    one; else the agent) to its destination; a row with only bytes_in moved the other way."""
    attrs = row.attrs
    origin = attrs.get("src_host") or attrs.get("src_ip")
    destination = _host_of_attrs(attrs)
    size = row.bytes_out
    if size is None and row.bytes_in is not None:
        size, origin, destination = row.bytes_in, destination, origin
    return Transfer(row, step, size, str(origin) if origin else None,
                    str(destination) if destination else None, _object(row, step))


def _host_of_attrs(attrs: Any) -> str | None:
    for key in ("dest_host", "url", "dest_ip"):
        if attrs.get(key):
            return str(attrs[key])
    return None


def _object(event: Event, step: Step | None) -> str | None:
    attrs = event.attrs
    if attrs.get("object_key"):
        bucket = attrs.get("bucket")
        return f"{bucket}/{attrs['object_key']}" if bucket else str(attrs["object_key"])
    if step is not None and step.target:
        return step.target
    return event.target_id or attrs.get("url")


def _host(value: str | None) -> str | None:
    if not value:
        return None
    host = value.lower()
    if "://" in host:
        host = host.split("://", 1)[1].split("/", 1)[0]
    return host.split("/")[0].split(":")[0]


def _host_in(host: str, patterns: Iterable[str]) -> bool:
    host = _host(host) or ""
    return any(fnmatch.fnmatchcase(host, p.lower()) or host.endswith("." + p.lower())
               for p in patterns)


def _base(name: str | None) -> str:
    return (name or "").rstrip("/").rsplit("/", 1)[-1]


def reasons_for(transfer: Transfer, threshold: int, allowlist: Sequence[str]) -> list[str]:
    """Why a transfer is exfiltration, or [] when it is not one to report."""
    big = transfer.bytes is not None and transfer.bytes >= threshold
    step = transfer.step
    strong, context = [], []
    dest = transfer.destination
    for hit in (step.payload_hits if step is not None else ())[:3]:
        strong.append(f"carries {_carried(hit)} read at step {hit.source}")
    if dest and host_class(_host(dest)) == "paste-site":
        strong.append(f"paste or file-drop host {_host(dest)}")
    elif transfer.effect is not None and transfer.effect.public and \
            not _asked(step, transfer.effect):
        strong.append(f"public destination {dest}")
    elif dest and allowlist and not _host_in(dest, allowlist):
        strong.append(f"destination {dest} is not on the egress allowlist")
    origin_class = host_class(_host(transfer.origin)) if transfer.origin else None
    if origin_class == "cloud-storage" or (
            step is not None and step.action_class in ("read", "list")
            and is_cloud_storage(step.target)):
        context.append("the data came out of cloud storage")
    if step is not None and (step.beyond or step.broken) and transfer.effect is None:
        context.append("the step is outside the allowed envelope")
    if transfer.obj and sensitive_name(transfer.obj):
        context.append(f"sensitive object name {_base(transfer.obj)}")
    size = [f"{transfer.bytes:,} bytes is at or above the {threshold:,}-byte exfiltration "
            f"threshold"] if big else []
    if strong or (big and (context or transfer.from_agent)) or (
            transfer.from_agent and transfer.effect is None
            and any(c.startswith("sensitive") for c in context)):
        return size + strong + context
    return []


def _asked(step: Step | None, effect: Any) -> bool:
    """A turn (or the instructions) allowed this very effect: the human chose where it went."""
    return step is not None and any(
        j.effect == effect and j.allowed_by is not None
        and j.allowed_by.source in ("turn", "instructions") for j in step.judgements)


def _carried(hit: Any) -> str:
    """'the file /srv/exports/q1.csv', 'a secret (aws-access-key-id)', 'content of ~/.env'."""
    label = f" {hit.label}" if hit.label else ""
    encoded = f", {hit.form}-encoded" if hit.form in ("base64", "hex") else ""
    if hit.what == "file":
        return f"the file{label}"
    if hit.what == "secret":
        return f"a secret{' (' + hit.label + ')' if hit.label else ''}{encoded}"
    return f"content of{label or ' a sensitive read'}{encoded}"


def _techniques(transfer: Transfer, reasons: list[str]) -> tuple[str, ...]:
    techniques = set()
    if any(r.startswith("the data came out of cloud") for r in reasons):
        techniques.add("T1530")
    if transfer.from_agent:
        techniques.add("T1567")
    if any(r.startswith("paste") for r in reasons):
        techniques.add("T1567.003")
    if any(r.startswith("carries") for r in reasons):
        techniques.add("T1041")
    return tuple(sorted(techniques))
