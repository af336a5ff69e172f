"""How much a step matters: its effects judged, graded the same way by every agent tool.

A step matters when one of its effects went beyond what the human and the envelope allowed,
broke a prohibition the human stated, or (kepler-style flow records) moved a large amount of
data. An effect's severity is its kind's (effects.kinds.EFFECT_KINDS), one level up in
production, at least high when the step moved `exfil_bytes` or more; a broken prohibition is
high. Ordinary work inside the envelope and the grants is not graded at all.
"""

from __future__ import annotations

from ...effects.kinds import Effect, severity_of
from ...model import SEVERITIES, SEVERITY_RANK
from .steps import Step

DEFAULT_EXFIL_BYTES = 1024 * 1024     # setting `exfil_bytes`: a transfer this large matters
BROKEN_SEVERITY = "high"


def raise_severity(severity: str, levels: int = 1) -> str:
    """One (or more) levels up, never above high: critical is kept for combined evidence."""
    rank = min(SEVERITY_RANK[severity] + levels, SEVERITY_RANK["high"])
    return SEVERITIES[max(rank, SEVERITY_RANK[severity])]


def lower(severity: str) -> str:
    """One level down, never below low."""
    return SEVERITIES[max(SEVERITY_RANK[severity] - 1, SEVERITY_RANK["low"])]


def at_least(severity: str, floor: str) -> str:
    return severity if SEVERITY_RANK[severity] >= SEVERITY_RANK[floor] else floor


def worst(severities: "list[str] | tuple[str, ...]") -> str:
    return max(severities, key=SEVERITY_RANK.__getitem__) if severities else "info"


def effect_severity(effect: Effect, step: Step, threshold: int = DEFAULT_EXFIL_BYTES) -> str:
    """The severity of an effect that nothing allowed."""
    severity = severity_of(effect)
    listing = effect.kind == "cloud-read" and str(effect.object or "").endswith("/")
    if effect.production and not listing:
        severity = raise_severity(severity)
    if step.transfer_bytes >= threshold:
        severity = at_least(severity, "high")
    return severity


def is_high_impact(step: Step, threshold: int = DEFAULT_EXFIL_BYTES) -> bool:
    """An effect beyond what was allowed or against a prohibition, or a large transfer."""
    return bool(step.beyond or step.broken) or step.transfer_bytes >= threshold


def impact_reasons(step: Step, threshold: int = DEFAULT_EXFIL_BYTES) -> list[str]:
    reasons = [j.statement for j in step.broken + step.beyond][:3]
    if step.transfer_bytes >= threshold:
        reasons.append(f"{step.transfer_bytes:,} bytes moved on the network")
    return reasons


def step_severity(step: Step, threshold: int = DEFAULT_EXFIL_BYTES) -> str:
    """The worst of the step's effects that were not allowed ("low" when none was)."""
    graded = [BROKEN_SEVERITY for _ in step.broken]
    # an effect beyond the envelope while a turn could not be read is one level lower: that
    # turn may have asked for it
    graded += [lower(effect_severity(j.effect, step, threshold)) if j.unread is not None
               else effect_severity(j.effect, step, threshold) for j in step.beyond]
    if step.transfer_bytes >= threshold:
        graded.append("high")
    return worst(graded) if graded else "low"


# MITRE ATT&CK for what an effect does.
TECHNIQUE_BY_KIND = {
    "persistence-write": "T1053", "privilege": "T1548", "upload": "T1567",
    "publish": "T1567", "message-send": "T1567", "opaque-execution": "T1059",
    "remote-exec": "T1021", "cloud-delete": "T1485", "file-delete": "T1485",
    "credential-read": "T1552", "cloud-write": "T1578", "vcs-force-push": "T1565",
    "vcs-history-rewrite": "T1565",
}
STORAGE_PREFIXES = ("arn:aws:s3:::", "s3://", "gs://", "https://storage.googleapis.com/")


def is_cloud_storage(target: str | None) -> bool:
    return bool(target) and str(target).startswith(STORAGE_PREFIXES)


def techniques_for(step: Step) -> tuple[str, ...]:
    """ATT&CK ids for the effects of the step that were not allowed (a read of cloud storage
    is T1530, a listing of it T1619)."""
    found = set()
    for judgement in step.broken + step.beyond:
        effect = judgement.effect
        if effect.kind == "cloud-read" and is_cloud_storage(effect.object):
            listing = step.action_class == "list" or str(effect.object).endswith("/")
            found.add("T1619" if listing else "T1530")
        elif effect.kind in TECHNIQUE_BY_KIND:
            found.add(TECHNIQUE_BY_KIND[effect.kind])
    return tuple(sorted(found))


def describe_step(step: Step) -> str:
    """'step 13 (aws.s3.get-object on arn:aws:s3:::bucket/key)' for statements."""
    on = f" on {step.target}" if step.target else ""
    return f"step {step.index} ({step.tool}{on})"


def step_subject(step: Step) -> str:
    """describe_step opening a sentence: 'Step 13 (...)'. Only the first letter changes: the
    tool and target keep their case (str.capitalize would lower-case the evidence)."""
    return "S" + describe_step(step)[1:]
