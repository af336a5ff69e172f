"""One finding per run of like steps (CONTRACT.md, additions of 2026-12: grouped findings).

A `Beat` is what one step contributes to a finding: the step, the effect it is about, its
severity, the clause that says what it did, and further refs (the envelope's, a source
step's). Beats are one finding only when rule, effect kind and object are equal within one
session; different objects never merge. The finding's time and step are its first member's,
its severity the worst member's; `steps` lists every member and its refs are one primary ref
per member (a one-step finding keeps every ref of its step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from ...effects.kinds import Effect
from ...model import EvidenceRef, Finding
from .impact import describe_step, techniques_for, worst
from .steps import Step


@dataclass(frozen=True)
class Beat:
    step: Step
    effect: Effect | None
    severity: str
    clause: str                                  # "pushes to origin main, which ..."
    refs: tuple[EvidenceRef, ...] = ()           # beyond the step's own
    details: tuple[tuple[str, Any], ...] = ()    # per-member details worth keeping

    @property
    def key(self) -> tuple:
        effect = self.effect
        return (self.step.session, effect.kind if effect else None,
                effect.object if effect else self.step.target)


def grouped(beats: Iterable[Beat]) -> list[list[Beat]]:
    """Beats with equal keys, in step order, groups in order of their first member."""
    groups: dict[tuple, list[Beat]] = {}
    for beat in sorted(beats, key=lambda b: (b.step.session, b.step.index)):
        groups.setdefault(beat.key, []).append(beat)
    return list(groups.values())


def subject(beats: list[Beat]) -> str:
    """'Step 5 (Bash on ~/.aws/credentials)' or 'Steps 5, 9 and 12 (Bash) each', to open a
    sentence whose verb is singular."""
    if len(beats) == 1:
        text = describe_step(beats[0].step)
        return "S" + text[1:]
    indexes = [str(b.step.index) for b in beats]
    shown = ", ".join(indexes[:-1]) + " and " + indexes[-1] if len(indexes) <= 8 else \
        ", ".join(indexes[:6]) + f" and {len(indexes) - 6} more"
    tools = sorted({b.step.tool for b in beats})
    return f"Steps {shown} ({', '.join(tools[:3])}{', …' if len(tools) > 3 else ''}) each"


def group_finding(beats: list[Beat], make: Callable[..., Finding], *, said: str = "",
                  **fields: Any) -> Finding:
    """The finding of one group: anchored on its first member, worst severity, every member's
    step, one primary ref per member (all refs of a lone step); its statement the members
    and the first one's clause (then `said`), its techniques those of every member."""
    first = beats[0]
    fields.setdefault("statement", f"{subject(beats)} {first.clause}{said}.")
    fields.setdefault("techniques", tuple(sorted({t for b in beats
                                                  for t in techniques_for(b.step)})))
    if len(beats) == 1:
        refs = first.step.refs + first.refs
    else:
        refs = tuple(dict.fromkeys([b.step.call.ref for b in beats]
                                   + [r for b in beats for r in b.refs]))
    anchor = first.step.anchor()
    if first.effect is not None and first.effect.object:
        anchor["target"] = first.effect.object
    steps = tuple(b.step.index for b in beats) if len(beats) > 1 else ()
    details = dict(fields.pop("details", {}))
    if first.effect is not None:
        details.setdefault("effect", first.effect.to_json())
    return make(severity=worst([b.severity for b in beats]), refs=refs, steps=steps,
                details=details, **anchor, **fields)
