"""How much a step matters: which steps are high impact, and the severity every agent tool
gives them. Kept in one place so the seven tools grade the same step the same way."""

from __future__ import annotations

from ...model import HIGH_IMPACT_CLASSES, SEVERITIES, SEVERITY_RANK
from .steps import Step

DEFAULT_EXFIL_BYTES = 1024 * 1024     # setting `exfil_bytes`: a transfer this large matters

# What an unapproved step of each class is worth on its own, inside the envelope.
# Editing files and running commands is what a coding agent is for: on their own, inside the
# envelope, they are low; leaving the envelope raises them.
BASE_SEVERITY = {
    "persistence": "high", "egress": "high", "permission-change": "high", "delete": "medium",
    "consent": "medium", "execute": "low", "write": "low", "read": "low",
    "list": "low", "authentication": "low", "other": "low",
}


def raise_severity(severity: str, levels: int = 1) -> str:
    """One (or more) levels up, never above high: critical is kept for combined evidence."""
    rank = min(SEVERITY_RANK[severity] + levels, SEVERITY_RANK["high"])
    return SEVERITIES[max(rank, SEVERITY_RANK[severity])]


def at_least(severity: str, floor: str) -> str:
    return severity if SEVERITY_RANK[severity] >= SEVERITY_RANK[floor] else floor


def is_high_impact(step: Step, threshold: int = DEFAULT_EXFIL_BYTES) -> bool:
    """Changes state, sends data, runs code, changes permissions or persists, leaves the
    envelope, or moved at least `threshold` bytes (the exfiltration threshold) on the network."""
    return (step.action_class in HIGH_IMPACT_CLASSES or step.breach is not None
            or step.transfer_bytes >= threshold)


def impact_reasons(step: Step, threshold: int = DEFAULT_EXFIL_BYTES) -> list[str]:
    reasons = []
    if step.action_class in HIGH_IMPACT_CLASSES:
        reasons.append(f"{step.action_class} action")
    if step.breach is not None:
        reasons.append("outside the allowed envelope")
    if step.transfer_bytes >= threshold:
        reasons.append(f"{step.transfer_bytes:,} bytes moved on the network")
    return reasons


def step_severity(step: Step, threshold: int = DEFAULT_EXFIL_BYTES) -> str:
    """The severity of a step's impact: its class, raised when it leaves the envelope, at
    least high when it moved `threshold` bytes or more."""
    severity = BASE_SEVERITY.get(step.action_class, "low")
    if step.breach is not None:
        severity = raise_severity(severity)
    if step.transfer_bytes >= threshold:
        severity = at_least(severity, "high")
    return severity


# MITRE ATT&CK (cloud) technique for what a step did, by class; storage reads are T1530.
TECHNIQUE_BY_CLASS = {
    "persistence": "T1053", "permission-change": "T1098", "egress": "T1567",
    "execute": "T1059", "delete": "T1485", "list": "T1619", "read": "T1530",
}


STORAGE_PREFIXES = ("arn:aws:s3:::", "s3://", "gs://", "https://storage.googleapis.com/")
STORAGE_CLASSES = frozenset({"list", "read"})


def is_cloud_storage(target: str | None) -> bool:
    return bool(target) and str(target).startswith(STORAGE_PREFIXES)


def techniques_for(step: Step) -> tuple[str, ...]:
    """ATT&CK ids for the step; discovery / collection ids only on cloud storage targets."""
    if step.action_class in STORAGE_CLASSES and not is_cloud_storage(step.target) \
            and "s3" not in step.tool.lower():
        return ()
    technique = TECHNIQUE_BY_CLASS.get(step.action_class)
    return (technique,) if technique else ()


def describe_step(step: Step) -> str:
    """'step 13 (aws.s3.get-object on arn:aws:s3:::bucket/key)' for statements."""
    on = f" on {step.target}" if step.target else ""
    return f"step {step.index} ({step.tool}{on})"


def step_subject(step: Step) -> str:
    """describe_step opening a sentence: 'Step 13 (...)'. Only the first letter changes: the
    tool and target keep their case (str.capitalize would lower-case the evidence)."""
    return "S" + describe_step(step)[1:]
