"""Step 4 of the agent-runaway path: which credentials did the agent hold, use and leak?

- `over-privileged-grant`: an IAM policy / trust policy / OAuth grant statement that gives the
  agent more than its written intent (the grant's own intent text, else the agent's envelope),
  naming each excess permission with its resource, and the steps that exercised it. The same
  grant seen in several exports (an IAM export and its OAuth mirror) is one finding citing each.
- `credential-exposure`: a secret in tool arguments, tool output, runtime config or prompts.
  One finding per secret, citing every record it appears in; the secret is shown only as its
  first four characters and a sha256 prefix. Documentation and placeholder keys are not
  secrets. How much it matters depends on how it reached the agent: read from a credential
  store that nothing allowed, or sent on by the agent: medium (high for keys, tokens and
  passwords); only in what the human asked the agent to read inside the repository, or typed
  by the human themselves: low.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from typing import Iterable, Iterator, Sequence

from ...model import Event, Finding, HeldText
from ...scope import (ALWAYS_ALLOWED, Envelope, classes_in_text, resource_matches,
                      resources_in_text)
from ...taxonomy import classify_action
from ..wording import article, join_and
from ..registry import Analyzer, Context, register
from .impact import describe_step
from ...effects.secrets import SecretHit, scan_text, scan_value
from .steps import AGENT_SOURCES, Step, TraceSet, traces_of

GRANT_TECHNIQUE = "T1078.004"        # valid accounts: cloud accounts
EXPOSURE_TECHNIQUE = "T1552"         # unsecured credentials
HIGH_KINDS = frozenset({"private-key", "aws-secret-access-key", "password", "bearer-token",
                        "github-token", "slack-token", "api-key"})
KIND_LABELS = {
    "private-key": "private key", "aws-access-key-id": "AWS access key id",
    "aws-secret-access-key": "AWS secret access key", "bearer-token": "bearer token",
    "github-token": "GitHub token", "slack-token": "Slack token", "api-key": "API key",
    "password": "password", "high-entropy-secret": "high-entropy secret",
}
SCANNED_ATTRS = (("arguments", True), ("result_text", False), ("env", True),
                 ("text", False), ("deployed_prompt", False))
TENANT_WIDE = ("*", "arn:aws:s3:::*", "arn:aws:s3:::*/*")
IAM_SERVICES = {"resourcegroupstaggingapi": "tag", "s3api": "s3"}
IAM_ALIASES = {"s3:ListObjects": "s3:ListBucket", "s3:ListObjectsV2": "s3:ListBucket",
               "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
               "s3:PutBucketLifecycleConfiguration": "s3:PutLifecycleConfiguration"}


@register
class CredentialAudit(Analyzer):
    NAME = "credential-audit"
    VERSION = "1"
    FAMILY = "agent"
    TITLE = "Grants beyond the written intent; secrets in tool arguments, output and config"
    CONSUMES = AGENT_SOURCES

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        traces = traces_of(events, ctx)
        yield from self._grants(events, traces)
        yield from self._exposures(events, traces)

    # -- grants against the written intent ---------------------------------------------

    def _grants(self, events: Sequence[Event], traces: TraceSet) -> Iterator[Finding]:
        grants = [e for e in events if e.source == "agent:grant"]
        intended = intended_permissions(grants)
        groups: dict[tuple, list[Event]] = defaultdict(list)
        for grant in grants:
            excess = excess_permissions(grant, _intent_of(grant, traces), intended)
            if excess:
                holder = grant.attrs.get("role_name") or grant.actor_id or "the agent"
                groups[(str(holder), tuple(excess))].append(grant)
        for (holder, excess), grants in sorted(groups.items()):
            yield self.over_privileged(holder, list(excess), grants, traces)

    def over_privileged(self, holder: str, excess: list[str], grants: list[Event],
                        traces: TraceSet) -> Finding:
        grants.sort(key=lambda e: e.ref)
        first = grants[0]
        used = _exercised(excess, holder, traces)
        intent = first.attrs.get("intent_text")
        against = f"the written intent \u201c{intent}\u201d" if intent else \
            traces.envelope(first.actor_id).describe()
        kinds = sorted({str(g.attrs.get("grant_kind") or "grant") for g in grants})
        used_text = (f"; exercised at {', '.join(describe_step(s) for s in used)}" if used
                     else "; no reconstructed step used it")
        return Finding(
            rule="TH-AGENT-OVERPRIVILEGED-GRANT", tool=self.NAME,
            category="over-privileged-grant",
            severity="critical" if used else "high", title="Grant exceeds the written intent",
            statement=f"The {'/'.join(kinds)} for {holder} allows {'; '.join(excess)}, beyond "
                      f"{against}{used_text}.",
            refs=tuple(g.ref for g in grants) + tuple(r for s in used for r in s.refs),
            time=first.time, session=first.session, actor=holder,
            target=first.target_id, techniques=(GRANT_TECHNIQUE,),
            engine_version=self.engine_version,
            details={"excess_permissions": excess, "grant_kinds": kinds,
                     "exercised_steps": [s.index for s in used]})

    # -- secrets -----------------------------------------------------------------------

    def _exposures(self, events: Sequence[Event], traces: TraceSet) -> Iterator[Finding]:
        """One finding per secret; secrets found in exactly the same records share one."""
        seen: dict[str, list[tuple[SecretHit, Event]]] = defaultdict(list)
        for event in events:
            for hit in secrets_of(event):
                seen[hit.digest].append((hit, event))
        groups: dict[tuple, list[list[tuple[SecretHit, Event]]]] = defaultdict(list)
        for places in seen.values():
            groups[tuple(sorted({e.ref for _, e in places}))].append(places)
        for refs in sorted(groups):
            yield self.exposure(groups[refs], traces)

    def exposure(self, secrets: list[list[tuple[SecretHit, Event]]],
                 traces: TraceSet) -> Finding:
        secrets.sort(key=lambda places: (places[0][1].ref, places[0][0].where))
        hits = [places[0][0] for places in secrets]
        records = sorted({e.ref: e for places in secrets for _, e in places}.values(),
                         key=lambda e: e.ref)
        event = records[0]
        step = traces.step_of(event)
        place = describe_step(step) if step else \
            f"the {event.source} record at {_locator_text(event.ref.locator)}"
        fields = ", ".join(dict.fromkeys(h.where for h in hits))
        more = f" and {len(records) - 1} other record{'s' if len(records) != 2 else ''}" \
            if len(records) > 1 else ""
        named = [f"{article(KIND_LABELS.get(h.kind, h.kind))} ({h.redacted}, sha256 "
                 f"{h.digest})" for h in hits]
        verb = "appears" if len(hits) == 1 else "appear"
        anchor = step.anchor() if step else {"time": event.time, "step": event.step,
                                             "session": event.session, "actor": event.actor_id,
                                             "target": None}
        label = KIND_LABELS.get(hits[0].kind, hits[0].kind)
        title = (f"{label[0].upper()}{label[1:]} exposed to the agent" if len(hits) == 1
                 else f"{len(hits)} secrets exposed to the agent")
        return Finding(
            rule="TH-AGENT-CREDENTIAL-EXPOSURE", tool=self.NAME, category="credential-exposure",
            severity=exposure_severity(hits, [(h, e) for places in secrets
                                              for h, e in places], traces),
            title=title,
            statement=f"{join_and(named)[0].upper()}{join_and(named)[1:]} {verb} in "
                      f"{fields} of {place}{more}.",
            refs=tuple(e.ref for e in records), techniques=(EXPOSURE_TECHNIQUE,),
            engine_version=self.engine_version,
            details={"secrets": [h.to_json() for h in hits],
                     "locations": sorted({f"{e.ref.locator}: {h.where}"
                                          for places in secrets for h, e in places})},
            **anchor)


def exposure_severity(hits: list[SecretHit], places: list[tuple[SecretHit, Event]],
                      traces: TraceSet) -> str:
    """How much a secret's exposure matters, by how it reached the agent (module docstring):
    low when it reached the agent only through the human's own words or through reads of the
    workspace (or of what a turn named); otherwise medium, high for keys, tokens and
    passwords. A secret in a call's arguments is one the agent used or sent on, unless the
    call only edited a workspace file that holds it (the text it replaced or wrote)."""
    strong = "high" if any(h.kind in HIGH_KINDS for h in hits) else "medium"
    if any(_typed_by_human(event) for _, event in places):
        return "low"            # the human gave it: what the agent did with it is judged
        #                         by the exfiltration tool, not as an exposure
    for hit, event in places:
        step = traces.step_of(event)
        if step is None or not _ordinary_read(step) or (
                hit.where.startswith("arguments") and not _workspace_edit(step)):
            return strong
    return "low"


# What an IDE extension sends with a prompt: the lines the human selected, the file open.
HUMAN_IDE_CONTEXT = ("<ide_selection>", "<ide_opened_file>")


def _typed_by_human(event: Event) -> bool:
    """The human typed or pasted it, or selected it in their editor (IDE context)."""
    if event.source != "agent:prompt" or event.attrs.get("role") != "user":
        return False
    return event.attrs.get("turn_kind", "human-typed") == "human-typed" or \
        str(event.attrs.get("text") or "").lstrip().startswith(HUMAN_IDE_CONTEXT)


def _workspace_edit(step: Step) -> bool:
    """The step only reads and writes workspace files (or files a turn asked for): a secret
    in its arguments is the text of a file it edits, not one it uses or sends."""
    return bool(step.judgements) and all(
        j.effect.kind in ("file-read", "file-write") and (
            j.effect.where in WORKSPACE or (j.allowed_by is not None
                                            and j.allowed_by.source in ("turn", "instructions")))
        for j in step.judgements)


def _ordinary_read(step: Step) -> bool:
    """Every effect of the step reads inside the workspace, or a turn named what it read."""
    if not step.judgements:
        return False
    for judgement in step.judgements:
        effect = judgement.effect
        if judgement.allowed_by is None or effect.kind == "credential-read":
            return False
        asked = judgement.allowed_by.source in ("turn", "instructions")
        if effect.kind == "file-read" and effect.where not in WORKSPACE and not asked:
            return False
        if effect.kind not in ("file-read", "exec", "tool-call") and not asked:
            return False
    return True


WORKSPACE = frozenset({"repo", "dependency", "temp", "agent-state", None})   # None: a relative path


def _locator_text(locator: str) -> str:
    return "the document root" if locator == "json:" else locator


def secrets_of(event: Event) -> Iterator[SecretHit]:
    """Secrets in the attrs of one agent or MCP record, each (kind, value) once."""
    found: set[tuple[str, str]] = set()
    for name, structured in SCANNED_ATTRS:
        value = event.attrs.get(name)
        if not value:
            continue
        hits = scan_value(value, name) if structured else \
            scan_text(value if type(value) is HeldText else str(value), name)
        for hit in hits:
            if (hit.kind, hit.digest) not in found:
                found.add((hit.kind, hit.digest))
                yield hit


def _intent_of(grant: Event, traces: TraceSet) -> Envelope:
    """The grant's own written intent when it has one, else the agent's envelope."""
    text = str(grant.attrs.get("intent_text") or "")
    if text and classes_in_text(text):
        return Envelope(agent=grant.actor_id, actions=classes_in_text(text),
                        resources=resources_in_text(text), origin="grant intent",
                        refs=(grant.ref,), text=text)
    return traces.envelope(grant.actor_id)


def permission_class(permission: str) -> str:
    """'s3:GetObject' -> read; a wildcard action ('s3:*', '*') -> '*'."""
    action = permission.split(":", 1)[-1]
    if "*" in action and not action.strip("*"):
        return "*"
    return classify_action(action.replace("*", ""))


def intended_permissions(grants: Iterable[Event]) -> frozenset[str]:
    """Permissions the written intent grants (lower case), from grants marked intended."""
    return frozenset(str(p).lower() for g in grants if g.attrs.get("intended") is True
                     for p in g.attrs.get("permissions") or ())


def excess_permissions(grant: Event, envelope: Envelope,
                       intended: frozenset[str] = frozenset()) -> list[str]:
    """'<permission> on <resource>' for each part of the grant beyond the written intent:
    the intended permission list when there is one, else the grant's own `intended` marker,
    else the envelope."""
    if str(grant.attrs.get("effect") or "allow").lower() == "deny":
        return []
    marker = grant.attrs.get("intended")
    if marker is True:
        return []
    permissions = [str(p) for p in grant.attrs.get("permissions") or [grant.action] if p]
    resources = [str(r) for r in grant.attrs.get("resources") or [grant.target_id or "*"]]
    excess = []
    for permission in permissions:
        if intended:
            beyond = not any(fnmatch.fnmatchcase(permission.lower(), p) for p in intended)
        else:
            beyond = marker is False
        for resource in resources:
            if beyond or (not intended and marker is None
                          and _exceeds(permission, resource, envelope)):
                wide = " (tenant-wide)" if resource in TENANT_WIDE else ""
                excess.append(f"{permission} on {resource}{wide}")
    return excess


def _exceeds(permission: str, resource: str, envelope: Envelope) -> bool:
    if not envelope.known:
        return False
    klass = permission_class(permission)
    if klass == "*":
        return True
    if klass not in envelope.actions and klass not in ALWAYS_ALLOWED and klass != "other":
        return True
    return bool(envelope.resources) and not resource_matches(resource, envelope.resources)


def iam_action_of(step: Step) -> str | None:
    """The IAM action a step needed: as its records say, else from an aws.<service>.<op> name."""
    for event in (step.call, *step.credentials):
        if event.attrs.get("iam_action"):
            return str(event.attrs["iam_action"])
    for event in step.credentials:        # a credential-use record names the IAM action
        if ":" in event.action and " " not in event.action:
            return event.action
    parts = step.tool.split(".")
    if len(parts) != 3 or parts[0] != "aws":
        return None
    action = f"{IAM_SERVICES.get(parts[1], parts[1])}:" + "".join(
        word.capitalize() for word in parts[2].split("-"))
    return IAM_ALIASES.get(action, action)


def _exercised(excess: list[str], holder: str, traces: TraceSet) -> list[Step]:
    """Steps that needed an excess permission on its resource (same holder when recorded)."""
    used: list[Step] = []
    for step in traces.steps():
        if step.credential and holder not in step.credential and step.credential not in holder:
            continue
        action = iam_action_of(step)
        for item in excess:
            permission, _, resource = item.partition(" on ")
            resource = resource.replace(" (tenant-wide)", "")
            if action is not None:
                fits = fnmatch.fnmatchcase(action.lower(), permission.lower())
            else:
                fits = permission_class(permission) in ("*", step.action_class)
            if fits and (resource == "*" or not step.target
                         or resource_matches(step.target, [resource])):
                used.append(step)
                break
    return used
