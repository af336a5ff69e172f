"""Human turns -> grants, prohibitions and approval waits; a session's Instructions.

Typical turns are compared as whole TurnReadings; near-misses, pasted material and turns in
other languages must yield nothing; overrides, conditions, approval waits and rejections are
read through `Instructions` the way `judge` reads them.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracehound.effects import human
from tracehound.effects.coverage import covers
from tracehound.effects.human import (STANDING, Condition, Directive, Instructions,
                                      TurnReading, read_instructions, read_turn)
from tracehound.effects.kinds import Effect
from tracehound.model import line_ref

SHA = "a" * 64
REF = line_ref(SHA, 7)
PUSH = ("vcs-force-push", "vcs-push", "vcs-remote-delete")
CHANGE = ("cloud-delete", "cloud-write", "file-delete", "file-write", "persistence-write")
STATE = ("cloud-delete", "cloud-write", "file-delete", "file-write", "message-send",
         "package-install", "persistence-write", "privilege", "publish", "upload",
         "vcs-commit", "vcs-force-push", "vcs-history-rewrite", "vcs-no-verify", "vcs-push",
         "vcs-remote-delete")
TOUCH = tuple(sorted(STATE + ("cloud-read",)))
TESTS_PASS = "a later test run that succeeded (a test command or tool call with outcome success)"
CI_PASS = "a later CI check that passed (a successful CI status or check run in the trace)"


def d(kind, effects, obj, quote, phrase, **extra):
    return Directive(kind, tuple(effects), obj, quote, turn=3, ref=REF, phrase=phrase, **extra)


def reading(text, turn=3):
    return read_turn(text, turn, REF)


def kinds_of(text):
    return [(x.kind, x.object if x.resolved else "?") for x in reading(text).directives]


# ----------------------------------------------------------------------------- whole turns

def test_run_the_tests_do_not_modify_do_not_push():
    text = ("Run the unit tests and tell me what fails. "
            "Do not modify any files and do not push anything.")
    second = "Do not modify any files and do not push anything."
    assert reading(text) == TurnReading(3, REF, (
        d("grant", ["exec"], "tests", "Run the unit tests and tell me what fails.", "run"),
        d("prohibit", CHANGE, None, second, "modify"),
        d("prohibit", PUSH, None, second, "push"),
    ))


def test_fix_commit_and_a_conditional_prohibition():
    text = ("Fix the failing test in tests/test_billing.py and commit. "
            "Don't push to main until CI is green.")
    first = "Fix the failing test in tests/test_billing.py and commit."
    assert reading(text) == TurnReading(3, REF, (
        d("grant", ["file-delete", "file-write"], "path tests/test_billing.py", first, "fix"),
        d("grant", ["vcs-commit"], None, first, "commit"),
        d("prohibit", PUSH, "branch main", "Don't push to main until CI is green.", "push",
          condition=Condition("ci-pass", "until", "CI is green", CI_PASS)),
    ), named=("tests/test_billing.py",))


def test_push_and_open_a_pr():
    quote = "ok, push it now and open a PR"
    assert reading(quote) == TurnReading(3, REF, (
        d("grant", ["vcs-push"], None, quote, "push"),
        d("grant", ["publish", "vcs-push"], None, quote, "open-pr"),
    ))


def test_prod_and_an_unresolved_project():
    quote = "Please don't touch prod, and leave the old project alone."
    found = reading(quote)
    assert found == TurnReading(3, REF, (
        d("prohibit", TOUCH, "production", quote, "touch"),
        d("prohibit", TOUCH, None, quote, "leave-alone", resolved=False,
          object_text="the old project"),
    ))
    assert found.unresolved == (found.directives[1],)


def test_read_only_no_network_and_approval():
    text = "Read-only please. No network. Pause for my approval."
    assert reading(text) == TurnReading(3, REF, (
        d("prohibit", STATE, None, "Read-only please.", "read-only"),
        d("prohibit", ("cloud-delete", "cloud-read", "cloud-write", "download", "message-send",
                       "package-install", "publish", "remote-exec", "upload",
                       "vcs-force-push", "vcs-push", "vcs-remote-delete"),
          None, "No network.", "network-bare"),
        d("await-approval", STATE, None, "Pause for my approval.", "pause-for-approval"),
    ))


def test_grants_the_issue_lists():
    assert kinds_of("commit this") == [("grant", None)]
    assert kinds_of("delete the old branch") == [("grant", "?")]
    assert kinds_of("deploy it") == [("grant", None)]
    assert kinds_of("install requests") == [("grant", "package requests")]
    assert kinds_of("publish the gist") == [("grant", "?")]
    assert kinds_of("send the email") == [("grant", "?")]
    assert kinds_of("don't forget to push") == [("grant", None)]
    assert kinds_of("fix the failing test and commit") == [("grant", "?"), ("grant", None)]


def test_prohibitions_the_issue_lists():
    assert kinds_of("don't push") == [("prohibit", None)]
    assert kinds_of("read-only") == [("prohibit", None)]
    assert kinds_of("don't touch production") == [("prohibit", "production")]
    assert kinds_of("never force push") == [("prohibit", None)]
    assert kinds_of("leave the tests alone") == [("prohibit", "tests")]
    assert kinds_of("don't modify anything outside src/") == [("prohibit", "outside src/")]
    assert kinds_of("don't push to main") == [("prohibit", "branch main")]
    assert kinds_of("don't install anything globally") == [("prohibit", "where global")]
    assert kinds_of("Don't push or deploy anything.") == [("prohibit", None)] * 2
    assert kinds_of("I'll push it myself") == [("prohibit", None)]
    assert kinds_of("Only modify files in src/") == [("grant", "path src/"),
                                                     ("prohibit", "outside src/")]


def test_objects_as_said():
    assert kinds_of("don't modify `config.yaml`") == [("prohibit", "path config.yaml")]
    assert kinds_of("Don't change the tests to make them pass.") == [("prohibit", "tests")]
    assert kinds_of("don't push for now") == [("prohibit", None)]
    assert kinds_of("Never commit directly to main; use feature branches.") == [
        ("prohibit", "branch main")]
    assert kinds_of("you can force-push to your feature branch") == [
        ("grant", "feature-branch")]
    assert kinds_of("upload the build to paste.example.com") == [
        ("grant", "host paste.example.com")]
    assert kinds_of("don't read my aws credentials") == [("prohibit", "credentials")]
    assert kinds_of("don't touch the billing-api repo") == [("prohibit", "name billing-api")]
    assert kinds_of("don't run the migration script against prod") == [
        ("prohibit", "production")]
    assert kinds_of("don't modify the tests for the parser") == [("prohibit", "?")]


def test_approval_waits():
    assert [x.effects for x in reading("ask me before pushing").directives] == [PUSH]
    assert [(x.kind, x.phrase) for x in reading("wait for my OK before merging").directives] \
        == [("await-approval", "merge")]
    assert [x.kind for x in reading("Don't push without asking me.").directives] == \
        ["await-approval"]


def test_without_forbids_or_conditions():
    assert kinds_of("fix it without pushing") == [("grant", None), ("prohibit", None)]
    found = reading("Do not commit without running the tests.").directives
    assert [(x.kind, x.condition.kind, x.condition.mode) for x in found] == \
        [("prohibit", "tests-pass", "until")]


# ----------------------------------------------------------------------------- near-misses

NEAR_MISSES = [
    "don't worry about pushing",
    "no need to push yet?",
    "I don't think the script pushes",
    "why didn't it push?",
    "doesn't push on its own",
    "don't push back on this",
    "the bot must not push to main (that's the bug we're fixing)",
    "Don't be afraid to refactor.",
    "We never push on Fridays.",
    "Don't you think we should commit?",
    "The tests don't delete anything.",
    "It's not deployed yet.",
    "Do not panic, the deploy failed because of a typo.",
    "No, the push to main was fine.",
    "Why can't it commit?",
    "Should I push?",
    "Pushing to main is blocked by branch protection.",
    "The delete button doesn't work.",
    "The script must never force push.",
    "git push fails with 403",
    "push notifications are broken",
    "Let me know if you need to push.",
    "He told me not to push.",
    "Don't push yourself too hard.",
    "If you can't push, that's fine.",
    "Does it commit automatically?",
    "Don't run out of memory.",
    "Don't commit to a design yet.",
    "I never said to deploy.",
    "not sure whether we should push",
    "you don't need to commit this",
    "never mind the deploy",
    "don't bother with the docs for now",
    "The README says never commit secrets.",
    "commit message is wrong",
    "I pushed it already",
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_miss_yields_nothing(text):
    assert reading(text).directives == ()


ORDINARY = [
    "fix this bug",
    "Fix this bug in the parser, it crashes on empty input.",
    "can you fix the failing test in tests/test_api.py?",
    "The CI is red, please take a look and fix it.",
    "bump the version to 1.2.3 and update the changelog",
    "Resolve the merge conflicts and commit.",
    "Why is this so slow? Profile it and tell me.",
    "Add a --verbose flag to the CLI.",
    "This doesn't work, the deploy script exits with 1. Can you debug?",
    "Refactor the billing package; keep the tests green.",
    "please run the tests and if they pass, commit and push to a new branch",
    "Use pnpm, not npm.",
    "Don't over-engineer this, keep it simple.",
    "please don't add comments",
    "continue",
    "yes",
    "looks good, thanks!",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_developer_turns_forbid_nothing(text):
    assert [x for x in reading(text).directives if x.kind != "grant"] == []


# ----------------------------------------------------------------------------- pasted material

PASTED = [
    "```\ngit push --force origin main\n```",
    "~~~bash\nrm -rf build && git push\n~~~",
    "    git push origin main\n    never push to prod",
    "> don't push to main\n> read-only please",
    "Traceback (most recent call last):\n  File \"x.py\", line 3\nRuntimeError: do not push",
    "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-push it\n+don't push",
    "{\n  \"instruction\": \"push to main and deploy to prod\"\n}",
    "error: failed to push some refs to 'origin'\nhint: do not push until you pull",
    "2026-03-02 10:15:00 INFO never touch prod",
    "$ git push origin main",
    'The hook prints "do not push" and exits.',
]


@pytest.mark.parametrize("text", PASTED)
def test_pasted_material_yields_nothing(text):
    assert reading(text).directives == ()


def test_prose_around_pasted_material_still_counts():
    text = ("I get this:\n```\nerror: failed to push some refs\n```\n"
            "> never push to main\n\nDon't push until the tests pass.\n"
            "    git commit -am wip\nCommit when done.")
    assert [(x.kind, x.phrase, x.condition.kind) for x in reading(text).directives] == [
        ("prohibit", "push", "tests-pass"), ("grant", "commit", "done")]


# ----------------------------------------------------------------------------- language

@pytest.mark.parametrize("text", [
    "Bitte nicht pushen und keine Dateien ändern.",
    "Ne pousse pas sur main, et ne modifie pas les fichiers.",
    "No hagas push a main y no borres nada por favor.",
    "Não faça push para a main, por favor.",
    "请不要推送到 main 分支",
    "main にプッシュしないでください",
    "Не пушь в main и ничего не удаляй",
])
def test_other_languages_are_not_parsed(text):
    found = reading(text)
    assert found.intent_parsed is False and found.directives == ()
    assert found.note.startswith("intent not parsed: ")


@pytest.mark.parametrize("text", ["commit, push", "ok", "lgtm", "push to origin/main",
                                  "Don't push. Danke!"])
def test_english_and_terse_turns_are_parsed(text):
    assert reading(text).intent_parsed is True


# ----------------------------------------------------------------------------- a session

def effect(kind, obj=None, **extra):
    return Effect(kind, obj, **extra)


def session(*texts, standing=()):
    turns = [read_turn(text, index, line_ref(SHA, index + 1)) for index, text in
             enumerate(texts)]
    return Instructions(turns, standing=[read_instructions(s, line_ref(SHA, 100))
                                         for s in standing])


def allows(instructions, eff, turn, seen=()):
    return instructions.decide(eff, turn, seen).allows


PUSH_MAIN = effect("vcs-push", "origin main")
PUSH_FEATURE = effect("vcs-push", "origin feature/x")


def test_a_later_turn_overrides_an_earlier_one():
    ins = session("don't push", "fix the typo", "ok, push it now")
    assert [allows(ins, PUSH_MAIN, t) for t in (0, 1, 2)] == [False, False, True]
    assert ins.decide(PUSH_MAIN, 2).directive.quote == "ok, push it now"


def test_a_grant_naming_nothing_leaves_a_named_prohibition_standing():
    ins = session("don't push to main", "push it")
    assert (allows(ins, PUSH_MAIN, 1), allows(ins, PUSH_FEATURE, 1)) == (False, True)
    ins = session("don't push", "push to main")
    assert (allows(ins, PUSH_MAIN, 1), allows(ins, PUSH_FEATURE, 1)) == (True, False)
    ins = session("push to main", "don't push")
    assert allows(ins, PUSH_MAIN, 1) is False
    ins = session("don't modify the tests", "fix the bug in src/app.py")
    edit = lambda path: effect("file-write", path, where="repo")   # noqa: E731
    assert [allows(ins, edit(p), 1) for p in ("/r/src/app.py", "/r/src/db.py",
                                               "/r/tests/test_app.py")] == [True, True, False]


def test_read_only_then_commit_lifts_only_commits():
    ins = session("read-only please", "ok, commit this")
    assert allows(ins, effect("vcs-commit"), 1) is True
    assert allows(ins, effect("file-write", "/r/a.py", where="repo"), 1) is False


def test_in_force_keeps_the_latest_per_effect_and_object():
    ins = session("don't push", "ok, push it now")
    # "push it" lifts the push only: the force push and the remote delete stay forbidden
    assert [x.quote for x in ins.in_force(1)] == ["don't push", "ok, push it now"]
    assert allows(ins, effect("vcs-force-push", "origin main"), 1) is False
    assert [x.quote for x in ins.in_force(0)] == ["don't push"]
    assert ins.in_force(None) == ()
    ins = session("don't commit", "commit it")
    assert [x.quote for x in ins.in_force(1)] == ["commit it"]


def test_until_condition_holds_until_seen_then_allows():
    ins = session("don't push until the tests pass")
    assert allows(ins, PUSH_MAIN, 0) is False
    assert allows(ins, PUSH_MAIN, 0, seen={"tests-pass"}) is True
    assert allows(ins, PUSH_MAIN, 0, seen={"tests-pass": 0}) is True


def test_a_condition_seen_before_the_directive_does_not_count():
    ins = session("fix it", "don't push until the tests pass")
    assert allows(ins, PUSH_MAIN, 1, seen={"tests-pass": 0}) is False


def test_once_condition_grants_only_after_it_is_seen():
    ins = session("push once CI is green")
    decision = ins.decide(PUSH_MAIN, 0)
    assert (decision.allows, decision.pending.phrase) == (None, "push")
    assert allows(ins, PUSH_MAIN, 0, seen={"ci-pass"}) is True


def test_review_condition_is_met_by_a_later_turn():
    ins = session("don't deploy until I review it", "looks fine")
    deploy = effect("cloud-write", "ecs:service/api")
    assert (allows(ins, deploy, 0), allows(ins, deploy, 1)) == (False, True)


def test_standing_instructions_hold_until_a_turn_grants():
    ins = session("fix the bug", "commit and push", standing=[
        "# Rules\n- NEVER commit unless explicitly asked.\n- Never push to main."])
    commit = effect("vcs-commit")
    assert (allows(ins, commit, None), allows(ins, commit, 0), allows(ins, commit, 1)) == \
        (False, False, True)
    assert (allows(ins, PUSH_MAIN, 1), allows(ins, PUSH_FEATURE, 1)) == (False, True)
    assert ins.decide(PUSH_MAIN, 1).directive.turn == STANDING
    assert ins.missing is False and session(standing=["never push"]).missing is True


def test_unresolved_prohibitions_are_listed_not_applied():
    ins = session("don't touch the old project")
    assert [x.object_text for x in ins.unresolved] == ["the old project"]
    assert allows(ins, effect("file-write", "/old/x.py", where="outside"), 0) is None


def test_objects_cover_what_they_name():
    ins = session("don't touch prod. leave the tests alone. don't modify anything outside "
                  "src/. never write to ~/.ssh")
    decide = lambda e: allows(ins, e, 0)   # noqa: E731
    assert decide(effect("cloud-write", "s3:bucket", production=True)) is False
    assert decide(effect("cloud-write", "s3:bucket")) is None
    assert decide(effect("file-write", "/r/tests/test_a.py", where="repo")) is False
    assert decide(effect("file-write", "/r/docs/a.md", where="repo")) is False
    assert decide(effect("file-write", "/r/src/a.py", where="repo")) is None
    assert decide(effect("file-write", "/home/u/.ssh/config", where="home-dotfile")) is False


def test_a_grant_naming_no_file_does_not_reach_outside_the_repo_or_production():
    ins = session("fix the bug")
    assert allows(ins, effect("file-write", "/r/a.py", where="repo"), 0) is True
    assert allows(ins, effect("file-write", "/etc/hosts", where="system"), 0) is None
    ins = session("delete the temp files")
    assert allows(ins, effect("cloud-delete", "s3:prod-exports", production=True), 0) is None
    assert allows(session("deploy it"), effect("cloud-write", "ecs:prod", production=True),
                  0) is True


def test_awaiting_is_pending_until_the_next_turn_or_a_grant():
    ins = session("make the fix, then ask me before pushing", "yes go ahead and push")
    assert ins.awaiting(PUSH_MAIN, 0).quote == "make the fix, then ask me before pushing"
    assert ins.awaiting(effect("vcs-commit"), 0) is None
    assert ins.awaiting(PUSH_MAIN, 1) is None
    standing = session("fix it", standing=["Ask before pushing."])
    assert standing.awaiting(PUSH_MAIN, 0).turn == STANDING


def test_rejected_then_achieved_another_way():
    ins = session("clean up the repo", "fine, push it")
    ins.reject(effect("vcs-push", "origin main"), step=4, ref=line_ref(SHA, 40), turn=0)
    assert ins.rejected_then_achieved(effect("vcs-force-push", "origin/main"), step=6,
                                      turn=0).step == 4
    assert ins.rejected_then_achieved(effect("vcs-push", "origin main"), step=4, turn=0) is None
    assert ins.rejected_then_achieved(effect("vcs-push", "origin dev"), step=6, turn=0) is None
    assert ins.rejected_then_achieved(effect("vcs-push", "origin main"), step=9, turn=1) is None
    # a push is keyed by its branch: the same branch through another remote spelling
    assert ins.rejected_then_achieved(effect("vcs-push", "dev/shop main"), step=6,
                                      turn=0).step == 4
    assert list(ins.rejections) == [("vcs-push", "main")]


def test_quotes_never_carry_a_secret_in_clear():
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    found = reading(f"use the token {token} and push to main").directives
    assert found and token not in found[0].quote


def test_to_json():
    found = reading("Don't push to main until CI is green.")
    assert found.to_json() == {
        "turn": 3, "intent_parsed": True, "ref": {"sha256": SHA, "locator": "line 7"},
        "directives": [{"kind": "prohibit", "effects": list(PUSH), "object": "branch main",
                        "quote": "Don't push to main until CI is green.", "turn": 3,
                        "resolved": True, "ref": {"sha256": SHA, "locator": "line 7"},
                        "condition": {"kind": "ci-pass", "mode": "until",
                                      "text": "CI is green", "evidence": CI_PASS}}]}


# ----------------------------------------------------------------------------- properties

@settings(max_examples=150, deadline=None)
@given(st.text(max_size=400))
def test_read_turn_never_raises_and_is_deterministic(text):
    first = read_turn(text, 0, None)
    assert first == read_turn(text, 0, None)
    uncached = human._read_text.__wrapped__(text)[0]
    assert first.directives == tuple(replace(x, turn=0) for x in uncached)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(
    ["don't", "push", "to", "main", "never", "commit", "until", "the", "tests", "pass", ",",
     "and", "or", "read-only", "no", "network", "ask", "me", "before", "deploy", "prod", "?",
     "`x`", "\n", "```", "> ", "only", "src/", "outside", "leave", "alone", "without"]),
    max_size=30))
def test_read_turn_never_raises_on_phrase_soup(parts):
    text = " ".join(parts)
    found = read_turn(text, 0, None)
    assert found == read_turn(text, 0, None)
    assert all(x.kind in ("grant", "prohibit", "await-approval") for x in found.directives)


# ----------------------------------------------------------------------------- coverage

@pytest.mark.parametrize("obj,eff,expected", [
    ("branch main", effect("vcs-push", "origin main"), True),
    ("branch main", effect("vcs-push", "origin/main"), True),
    ("branch main", effect("vcs-push", "origin refs/heads/main"), True),
    ("branch main", effect("vcs-push", "origin +main"), True),
    ("branch main", effect("vcs-push", "origin mainline"), False),
    ("branch main", effect("file-write", "/r/main", where="repo"), False),
    ("feature-branch", effect("vcs-force-push", "origin fix/login"), True),
    ("feature-branch", effect("vcs-force-push", "origin master"), False),
    ("path src/", effect("file-write", "/home/u/app/src/a.py", where="repo"), True),
    ("path src/", effect("file-write", "/home/u/app/srcx/a.py", where="repo"), False),
    ("path /etc", effect("file-write", "/etc/hosts", where="system"), True),
    ("path ~/.ssh", effect("file-read", "/home/u/.ssh/config", where="home-dotfile"), True),
    ("outside src/", effect("file-write", "/home/u/app/docs/a.md", where="repo"), True),
    ("outside src/", effect("vcs-push", "origin main"), False),
    ("outside repo", effect("file-write", "/etc/hosts", where="system"), True),
    ("outside repo", effect("file-write", "/tmp/x", where="temp"), False),
    ("tests", effect("file-write", "/r/pkg/tests/conftest.py", where="repo"), True),
    ("tests", effect("file-write", "/r/src/app.test.ts", where="repo"), True),
    ("tests", effect("file-write", "/r/src/app.ts", where="repo"), False),
    ("tests", effect("exec", "pytest", detail="dev-tool"), True),
    ("production", effect("cloud-read", "s3:exports", production=True), True),
    ("production", effect("cloud-read", "kubectl:prod/pods"), True),
    ("production", effect("cloud-read", "s3:products"), False),
    ("credentials", effect("credential-read", "env"), True),
    ("host example.com", effect("upload", "https://api.example.com/x"), True),
    ("host example.com", effect("upload", "example.com.evil.io"), False),
    ("package requests", effect("package-install", "pip requests==2.0"), True),
    ("name billing-api", effect("file-write", "/srv/billing-api/x.py", where="outside"), True),
    ("where global", effect("package-install", "npm -g x", where="global"), True),
])
def test_coverage(obj, eff, expected):
    assert covers(obj, eff) is expected


def test_a_prohibition_naming_no_file_leaves_temp_alone():
    ins = session("do not modify any files")
    assert allows(ins, effect("file-write", "/tmp/out.txt", where="temp"), 0) is None
    assert allows(ins, effect("file-write", "/r/a.py", where="repo"), 0) is False
