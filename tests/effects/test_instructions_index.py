"""Instructions answers from indexes (per effect kind, backwards from the latest directive):
the same answers as walking every directive stated so far, forwards, for each effect. The
reference walk below is that plain reading of the rules (human.py's docstrings); random
sessions of grants, prohibitions, conditions and approval waits are asked at every turn."""

from __future__ import annotations

import random

import pytest

from tracehound.effects.human import Decision, Instructions, read_instructions, read_turn
from tracehound.effects.kinds import Effect
from tracehound.model import EvidenceRef

SENTENCES = (
    "Commit the fix.", "Don't push to main.", "Push it.", "Push it to main.",
    "Never touch production.", "Only edit src/app.py.", "Run the tests.",
    "Don't commit until the tests pass.", "Ask me before you push.", "Do not modify any files.",
    "Delete the temp files.", "Don't read .env.", "Go ahead and push.",
    "You can read the docs folder.", "Don't commit anything until I say so.",
    "Once the tests pass, commit and push.", "Edit README.md and docs/.", "Don't use curl.",
    "Fix tests/test_app.py.", "Ne pas pousser le code sur main s'il vous plaît maintenant.",
    "continue", "Install the dependencies.", "Don't install anything.",
    "Upload the report to s3://bucket/x.")
EFFECTS = (
    Effect("vcs-push", "origin main", where="remote"), Effect("vcs-push", "origin dev"),
    Effect("vcs-force-push", "origin main", where="remote"), Effect("vcs-commit", None),
    Effect("file-write", "src/app.py", where="repo"), Effect("file-write", "/etc/hosts",
                                                              where="system"),
    Effect("file-write", "/tmp/x", where="temp"), Effect("file-read", ".env", where="repo"),
    Effect("file-read", "docs/a.md", where="repo"), Effect("exec", "pytest"),
    Effect("file-delete", "/tmp/x", where="temp"), Effect("cloud-write", "production"),
    Effect("package-install", "requests"), Effect("upload", "s3://bucket/x"),
    Effect("credential-read", ".env", where="repo"),
    Effect("persistence-write", "~/.bashrc", where="home-dotfile"))


def walked_decide(ins: Instructions, effect: Effect, turn, seen) -> Decision:
    """Every directive stated up to the turn, forwards: the latest that covers the effect
    decides, except that a grant lifts an earlier prohibition only as specifically."""
    winner, allows, level, pending = None, None, 0, None
    for d in ins._upto(turn):
        reach = d.coverage(effect) if d.kind != "await-approval" else 0
        if not reach:
            continue
        effective = ins._effective(d, turn, seen)
        if effective is None:
            pending = d if d.kind == "grant" else pending
            continue
        if winner is not None and effective and allows is False and reach < level:
            continue
        winner, allows, level = d, effective, reach
    return Decision(winner, allows, pending if winner is None or not allows else None)


def walked_awaiting(ins: Instructions, effect: Effect, turn, seen):
    found = None
    for d in ins._upto(turn):
        if d.kind == "await-approval" and d.covers(effect) and ins._pending(d, turn):
            found = d
        elif found is not None and d.kind == "grant" and d.covers(effect) and \
                ins._effective(d, turn, seen):
            found = None
    return found


@pytest.mark.parametrize("seed", range(12))
def test_indexed_answers_equal_the_forward_walk(seed):
    rng = random.Random(seed)
    turns = [read_turn(" ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 3))), t,
                       EvidenceRef("a" * 64, f"line {t + 1}"))
             for t in range(rng.randint(1, 40))]
    standing = [read_instructions(rng.choice(SENTENCES), EvidenceRef("b" * 64, "line 1"))] \
        if seed % 2 else []
    ins = Instructions(turns, standing=standing)
    answered = 0
    for _ in range(400):
        effect = rng.choice(EFFECTS)
        turn = rng.choice([None, *range(len(turns) + 2)])
        seen = rng.choice([(), {"tests-pass": rng.randint(-1, len(turns))}, {"tests-pass"}])
        decided = ins.decide(effect, turn, seen)
        assert decided == walked_decide(ins, effect, turn, seen)
        assert ins.awaiting(effect, turn, seen) == walked_awaiting(ins, effect, turn, seen)
        assert ins.unresolved_in_force(turn, effect.kind) == tuple(
            d for d in ins.in_force(turn) if not d.resolved and d.kind != "grant"
            and effect.kind in d.effects)
        answered += decided.directive is not None
    assert answered > 0
