"""Sigma: SigmaHQ's cloud rules on every case, plus a folder of the user's (`--sigma DIR`).

The SigmaHQ rules tracehound ships (sigma/sigmahq/, DRL 1.1, chosen in selection.yaml) run by
default; `--no-default-sigma` (setting `sigma_defaults`) turns them off. `--sigma DIR` (setting
`sigma_dir`) adds a folder of rules, `--sigma builtin` tracehound's own detections as Sigma.
All of them run in one batched pass over the case store (sigma/runner.py), converted once per
process (sigma/defaults.py).

One finding per event a rule matches, with the rule's title and id, its level as severity
(capped where selection.yaml says so) and a category from its ATT&CK tags and logsource
(sigma/categories.py; selection.yaml may set another for a shipped rule). A finding of a
SigmaHQ rule names the rule's id, title, author and license. Rules of a user folder that do
not convert or cannot run are listed, with the reason, in the `sigma` artifact.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from ...model import Event, EvidenceRef, Finding
from ...sigma import BUILTIN_RULES
from ...sigma.categories import category, severity, techniques
from ...sigma.defaults import (LICENSE, ORIGIN, attribution, capped_severity, chosen_category,
                               compiled, default_rules)
from ...sigma.logsources import MAPPED
from ..registry import Analyzer, Context, register
from .sql import connection

if TYPE_CHECKING:
    from ...sigma import ConvertedRule, RuleRun, RuleSet

STATEMENT = ("Sigma rule \"{title}\" ({id}) matched this {logsource} record: {actor} {action}"
             "{on_target}.")
# A shipped SigmaHQ rule names its author and license wherever the finding is shown (table,
# CSV, report): the DRL 1.1 asks that matches keep the rule's author.
SIGMAHQ_STATEMENT = ("SigmaHQ rule \"{title}\" ({id}; author: {author}; {license}) matched this "
                     "{logsource} record: {actor} {action}{on_target}.")
READ_SOURCES = tuple(sorted({s for source in MAPPED for s in source.sources}))
OFF = {"0", "false", "no", "off"}


def rules_folder(setting: Any) -> Path | None:
    if not setting:
        return None
    return BUILTIN_RULES if str(setting) == "builtin" else Path(str(setting))


def defaults_on(ctx: Context) -> bool:
    value = ctx.setting("sigma_defaults", True)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in OFF


@register
class SigmaAnalyzer(Analyzer):
    NAME = "sigma"
    VERSION = "2"
    FAMILY = "cloud"
    TITLE = ("Sigma: SigmaHQ's cloud rules (shipped, DRL 1.1) on every case, plus a folder of "
             "your own (--sigma DIR, or --sigma builtin for tracehound's own), on CloudTrail, "
             "Azure, Entra and M365 records")
    CONSUMES = ()

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        _, runs = self._runs(events, ctx)
        found = [self._finding(run, match) for run in runs for match in run.matches]
        return sorted(found, key=Finding.sort_key)

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        if rules_folder(ctx.setting("sigma_dir", None)) is None:
            return {}
        user, runs = self._runs(events, ctx)
        mine = [run for run in runs if run.rule.info.origin != ORIGIN]
        shipped = {run.rule.info.id for run in runs if run.rule.info.origin == ORIGIN}
        return {"sigma": [summary(user, mine, shipped)]}

    def _runs(self, events: Sequence[Event], ctx: Context) -> tuple[RuleSet | None,
                                                                    list[RuleRun]]:
        """(the user's rule set, the run of every rule), computed once per case."""
        folder = rules_folder(ctx.setting("sigma_dir", None))
        key = (defaults_on(ctx), str(folder))
        cache = ctx.shared.setdefault("sigma", {})
        if key not in cache:
            user = compiled(folder) if folder is not None else None
            cloud = has_cloud_events(events, ctx)
            # a case without cloud records and without rules of the user's runs no rule:
            # the shipped ones are not even converted
            rules = chosen_rules(key[0], user) if cloud or user is not None else []
            if rules and not cloud:
                rules = [r for r in rules if r.info.origin != ORIGIN]
            runs: list[RuleRun] = []
            if rules:
                from ...sigma import run_rules      # pySigma: only when a rule runs
                with connection(events, ctx) as con:
                    runs = run_rules(con, rules)
            cache[key] = (user, runs)
        return cache[key]

    def _finding(self, run: RuleRun, match: dict) -> Finding:
        info = run.rule.info
        values = {"title": info.title, "id": info.id, "logsource": info.logsource,
                  "actor": match["actor"] or "an unknown actor", "action": match["action"],
                  "on_target": f" on {match['target']}" if match["target"] else "",
                  "author": info.author or "not named", "license": LICENSE}
        details = {"sigma_id": info.id, "sigma_title": info.title, "sigma_file": info.path,
                   "sigma_level": info.level, "sigma_status": info.status,
                   "sigma_author": info.author, "sigma_logsource": info.logsource}
        wording = STATEMENT
        if info.origin == ORIGIN:
            details.update(attribution(info))
            wording = SIGMAHQ_STATEMENT
        return Finding(
            rule=f"TH-SIGMA-{info.id}", tool=self.NAME,
            category=chosen_category(info, category(info)),
            severity=capped_severity(info, severity(info)), title=info.title,
            statement=wording.format(**values),
            refs=(EvidenceRef(match["sha256"], match["locator"]),), time=match["time"],
            actor=match["actor"], target=match["target"], techniques=techniques(info),
            engine_version=self.engine_version, details=details)


def chosen_rules(defaults: bool, user: RuleSet | None) -> list[ConvertedRule]:
    """The shipped rules (when on) and the user's, one rule per id: a user rule with the id
    of a shipped one is that rule, which runs once, as shipped (with its severity cap)."""
    rules = list(default_rules().converted) if defaults else []
    shipped = {rule.info.id for rule in rules}
    if user is not None:
        rules += [rule for rule in user.converted if rule.info.id not in shipped]
    return rules


def has_cloud_events(events: Sequence[Event], ctx: Context) -> bool:
    """Whether the case holds any record a shipped rule reads (an agent-only case skips them)."""
    if ctx.store is None:
        return any(e.source in READ_SOURCES for e in events)
    placeholders = ", ".join("?" for _ in READ_SOURCES)
    found = ctx.store.con.execute(
        f"SELECT 1 FROM events WHERE source IN ({placeholders}) LIMIT 1",
        list(READ_SOURCES)).fetchone()
    return found is not None


def summary(ruleset: RuleSet | None, runs: Sequence[RuleRun],
            shipped: Iterable[str] = ()) -> dict[str, Any]:
    """Counts and reasons: how many rules converted, ran, fired, and why the rest did not.
    A rule of the folder with the id of a shipped SigmaHQ rule ran as shipped (counted)."""
    converted = ruleset.converted if ruleset else []
    rejected = ruleset.rejected if ruleset else []
    not_run = [r for r in runs if r.error]
    same = set(shipped)
    return {
        "folder_files": len({r.info.path for r in converted} | {r.path for r in rejected}),
        "converted": len(converted), "ran": len(runs) - len(not_run),
        "fired": sum(1 for r in runs if r.matches),
        "ran_as_shipped": sum(1 for r in converted if r.info.id in same),
        "not_converted": [{"file": r.path, "kind": r.kind, "problem": r.problem}
                          for r in rejected],
        "not_run": [{"file": r.rule.info.path, "problem": r.error} for r in not_run],
    }
