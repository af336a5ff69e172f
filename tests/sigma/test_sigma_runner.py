"""The batched pass: one helper table per kind of record, one query per logsource for up to
BATCH rules, and a failing rule named without stopping the others."""

from __future__ import annotations

from dataclasses import replace
from collections import Counter
from typing import Any

from sigma_case import AZURE, CLOUDTRAIL, SIGMA_FIXTURES, loaded_store

from tracehound.sigma import run_rules
from tracehound.sigma.defaults import default_rules
from tracehound.sigma.runner import BATCH, scans


class Counting:
    """The case store's connection, counting the rule queries it is given."""

    def __init__(self, con: Any):
        self.con, self.statements = con, []

    def execute(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return self.con.execute(sql, *args)

    def matching(self) -> list[str]:
        return [s for s in self.statements if s.startswith("SELECT _th_sha256")]


def test_every_default_rule_runs_in_one_query_per_logsource():
    rules = default_rules().converted
    with loaded_store(CLOUDTRAIL, AZURE, SIGMA_FIXTURES) as (store, _):
        con = Counting(store.con)
        runs = run_rules(con, rules)
    assert [r.rule for r in runs] == list(rules)
    assert all(r.error is None for r in runs)
    per_logsource = Counter(r.logsource for r in rules)
    assert len(per_logsource) == 8 and max(per_logsource.values()) <= BATCH
    # every kind of record is in the case: one helper table per kind of record (the four
    # M365 logsources read the UAL and share one), one query per logsource
    tables = [s for s in con.statements if s.startswith("CREATE OR REPLACE TEMP TABLE")]
    assert [keys for _, keys in scans(per_logsource)] == [
        ["aws/cloudtrail"], ["azure/activitylogs"], ["azure/auditlogs"], ["azure/signinlogs"],
        ["m365/audit", "m365/exchange", "m365/threat_detection", "m365/threat_management"]]
    assert len(tables) == 5
    assert len(con.matching()) == 8
    assert sum(1 for r in runs if r.matches) >= 6


def test_records_absent_from_the_case_cost_no_rule_query():
    with loaded_store(CLOUDTRAIL) as (store, _):
        con = Counting(store.con)
        runs = run_rules(con, default_rules().converted)
    assert len(con.matching()) == 1          # CloudTrail only
    assert all(r.error is None for r in runs)
    assert {r.rule.logsource for r in runs if r.matches} == {"aws/cloudtrail"}


def test_a_failing_rule_is_named_and_the_others_still_run():
    rules = [r for r in default_rules().converted if r.logsource == "aws/cloudtrail"]
    broken = replace(rules[0], wheres=("regexp_matches(\"eventName\", '(')",))
    with loaded_store(CLOUDTRAIL) as (store, _):
        runs = run_rules(store.con, [broken, *rules[1:]])
        alone = run_rules(store.con, rules[1:])
    assert runs[0].error and not runs[0].matches
    assert [(r.rule.info.id, r.matches) for r in runs[1:]] == [
        (r.rule.info.id, r.matches) for r in alone]
    assert any(r.matches for r in alone)
