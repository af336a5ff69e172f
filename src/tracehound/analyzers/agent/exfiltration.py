"""Step 7 of the agent-runaway path: what left, how much, and to where?

A transfer is a flow row (bytes that moved from its source end to its destination), or an
egress step that no flow row records (the agent sent it). It is reported when it goes to a
paste or file-drop host, to a destination outside the allowlist (setting `egress_allowlist`,
host globs; unset: no allowlist check), or sends what an earlier step read (staging, then
upload); and when it is large (setting `exfil_bytes`, default 1 MiB) and either the agent sent
it or it took data out of a store: cloud storage, a step outside the envelope, an object whose
name marks it sensitive. One finding per transfer, with its bytes, origin and destination,
citing the flow row and the trace step.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from ...model import EvidenceRef, Event, Finding
from ..registry import Analyzer, Context, register
from .impact import DEFAULT_EXFIL_BYTES, describe_step, is_cloud_storage
from .steps import AGENT_SOURCES, Step, TraceSet, traces_of

PASTE_HOSTS = ("pastebin.com", "paste.ee", "paste.rs", "paste.gg", "rentry.co", "ix.io",
               "sprunge.us", "hastebin.com", "ghostbin.*", "dpaste.*", "controlc.com",
               "transfer.sh", "file.io", "0x0.st", "gofile.io", "anonfiles.*", "mega.nz",
               "wetransfer.com", "sendspace.com", "catbox.moe", "termbin.com",
               "webhook.site", "requestbin.*", "*.requestcatcher.com", "*.pipedream.net",
               "*.ngrok.io", "*.ngrok-free.app", "temp.sh", "bashupload.com")
STORAGE_HOSTS = ("*.amazonaws.com", "*.blob.core.windows.net", "storage.googleapis.com",
                 "*.storage.googleapis.com")
SENSITIVE_NAME = re.compile(
    r"(?i)(claims?|roster|member|payment|payroll|card|ssn|customer|patient|pii|phi|"
    r"passwords?|secrets?|credentials?|\.pem$|id_rsa|backup|dump|\.sql$|salary|invoice)")
_NAME_WORD = re.compile(r"[\w./-]{5,}")


@dataclass(frozen=True)
class Transfer:
    """Data that moved from one end to the other: a flow row, or an egress step's request."""

    event: Event                    # the network row, or the egress step's call record
    step: Step | None
    bytes: int | None               # bytes that moved from `origin` to `destination`
    origin: str | None              # None: the agent runtime itself sent it
    destination: str | None
    obj: str | None                 # object key / path / URL moved

    @property
    def from_agent(self) -> bool:
        return self.origin is None

    @property
    def refs(self) -> tuple[EvidenceRef, ...]:
        return tuple(dict.fromkeys((self.event.ref,) + (self.step.refs if self.step else ())))


@register
class ExfiltrationDetector(Analyzer):
    NAME = "exfiltration-detector"
    VERSION = "1"
    FAMILY = "agent"
    TITLE = "Large, off-allowlist, paste-site, sensitive or staged transfers: one per transfer"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        threshold = int(ctx.setting("exfil_bytes", DEFAULT_EXFIL_BYTES))
        allowlist = tuple(ctx.setting("egress_allowlist", ()) or ())
        staged = _staged_names(traces)
        for transfer in transfers(events, traces):
            reasons = reasons_for(transfer, threshold, allowlist, staged)
            if reasons:
                yield self.finding(transfer, reasons, threshold)

    def finding(self, transfer: Transfer, reasons: list[str], threshold: int) -> Finding:
        step = transfer.step
        size = f"{transfer.bytes:,} bytes" if transfer.bytes is not None else "data of unknown size"
        what = f" of {transfer.obj}" if transfer.obj and transfer.obj not in (
            transfer.destination, transfer.event.attrs.get("url")) else ""
        origin = transfer.origin or "the agent runtime"
        dest = transfer.destination or "an unrecorded destination"
        at = f" at {describe_step(step)}" if step else f" ({transfer.event.ref.locator})"
        big = transfer.bytes is not None and transfer.bytes >= threshold
        sensitive = any(r.startswith("sensitive") for r in reasons)
        severity = "critical" if big and sensitive else "high" if big or any(
            r.startswith(STRONG) for r in reasons) else "medium"
        anchor = step.anchor() if step else {
            "time": transfer.event.time, "step": transfer.event.step,
            "session": transfer.event.session, "actor": transfer.event.actor_id,
            "target": transfer.obj}
        return Finding(
            rule="TH-AGENT-EXFILTRATION", tool=self.NAME, category="exfiltration",
            severity=severity, title="Data moved out of its store by the agent",
            statement=f"{size[0].upper()}{size[1:]}{what} moved from {origin} to {dest}{at}: "
                      f"{'; '.join(reasons)}.",
            refs=transfer.refs, techniques=_techniques(transfer, reasons),
            engine_version=self.engine_version,
            details={"bytes": transfer.bytes, "origin": origin, "destination": dest,
                     "object": transfer.obj, "reasons": reasons, "threshold_bytes": threshold},
            **anchor)


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
        if step.action_class == "egress" and id(step) not in recorded:
            call = step.call
            target = step.target if step.target and "://" in step.target else None
            found.append(Transfer(call, step, call.bytes_out, None,
                                  _host(call.attrs) or target, _object(call, step)))
    return found


def _flow(row: Event, step: Step | None) -> Transfer:
    """A flow row: bytes_out moved from its source end (src_host / src_ip, when the row names
    one; else the agent) to its destination; a row with only bytes_in moved the other way."""
    attrs = row.attrs
    origin = attrs.get("src_host") or attrs.get("src_ip")
    destination = _host(attrs)
    size = row.bytes_out
    if size is None and row.bytes_in is not None:
        size, origin, destination = row.bytes_in, destination, origin
    return Transfer(row, step, size, str(origin) if origin else None,
                    str(destination) if destination else None, _object(row, step))


def _host(attrs: Any) -> str | None:
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


def _host_in(host: str, patterns: Iterable[str]) -> bool:
    host = host.lower()
    if "://" in host:
        host = host.split("://", 1)[1].split("/", 1)[0]
    host = host.split(":")[0]
    return any(fnmatch.fnmatchcase(host, p.lower()) or host.endswith("." + p.lower())
               for p in patterns)


def _base(name: str | None) -> str:
    return (name or "").rstrip("/").rsplit("/", 1)[-1]


def _staged_names(traces: TraceSet) -> dict[str, int]:
    """Base names of objects read (downloaded, fetched) by steps -> the first such step."""
    names: dict[str, int] = {}
    for step in traces.steps():
        if step.action_class == "read":
            base = _base(step.target)
            if len(base) >= 5:
                names.setdefault(base.lower(), step.index)
    return names


STRONG = ("paste", "destination", "staged")     # reasons that report a transfer of any size


def reasons_for(transfer: Transfer, threshold: int, allowlist: Sequence[str],
                staged: dict[str, int]) -> list[str]:
    """Why a transfer is exfiltration, or [] when it is not one to report."""
    big = transfer.bytes is not None and transfer.bytes >= threshold
    step = transfer.step
    strong, context = [], []
    dest = transfer.destination
    if dest and _host_in(dest, PASTE_HOSTS):
        strong.append(f"paste or file-drop host {dest}")
    elif dest and allowlist and not _host_in(dest, allowlist):
        strong.append(f"destination {dest} is not on the egress allowlist")
    hit = _staged_hit(transfer, staged)
    if hit:
        strong.append(f"staged: {hit[0]} was read at step {hit[1]} before this upload")
    if (transfer.origin and _host_in(transfer.origin, STORAGE_HOSTS)) or (
            step is not None and step.action_class in ("read", "list")
            and is_cloud_storage(step.target)):
        context.append("the data came out of cloud storage")
    if step is not None and step.breach is not None:
        context.append("the step is outside the allowed envelope")
    if transfer.obj and SENSITIVE_NAME.search(_base(transfer.obj)):
        context.append(f"sensitive object name {_base(transfer.obj)}")
    size = [f"{transfer.bytes:,} bytes is at or above the {threshold:,}-byte exfiltration "
            f"threshold"] if big else []
    if strong or (big and (context or transfer.from_agent)) or (
            transfer.from_agent and any(c.startswith("sensitive") for c in context)):
        return size + strong + context
    return []


def _staged_hit(transfer: Transfer, staged: dict[str, int]) -> tuple[str, int] | None:
    if transfer.step is None or transfer.step.action_class != "egress":
        return None
    text = " ".join(str(v) for v in (transfer.obj, _argument_text(transfer.step)) if v)
    for word in _NAME_WORD.findall(text.lower()):
        name = _base(word)
        index = staged.get(name)
        if index is not None and index < transfer.step.index:
            return name, index
    return None


def _argument_text(step: Step) -> str:
    arguments: Any = step.arguments
    return str(arguments) if arguments else ""


def _techniques(transfer: Transfer, reasons: list[str]) -> tuple[str, ...]:
    techniques = set()
    if any(r.startswith("the data came out of cloud") for r in reasons):
        techniques.add("T1530")
    if transfer.from_agent:
        techniques.add("T1567")
    if any(r.startswith("paste") for r in reasons):
        techniques.add("T1567.003")
    if any(r.startswith("staged") for r in reasons):
        techniques.add("T1074")
    return tuple(sorted(techniques))
