"""Sigma: run a folder of Sigma rules (`--sigma DIR`, setting `sigma_dir`) on the case.

One finding per event a rule matches, with the rule's title and id, its level as severity and
a category from its ATT&CK tags and logsource (tracehound/sigma/categories.py). `--sigma
builtin` runs the detections tracehound ships as Sigma. Rules that do not convert or cannot
run are listed, with the reason, in the `sigma` artifact.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ...model import Event, EvidenceRef, Finding
from ...sigma import BUILTIN_RULES, RuleRun, RuleSet, load_rules, run_rules
from ...sigma.categories import category, severity, techniques
from ..registry import Analyzer, Context, register
from .sql import connection

STATEMENT = ("Sigma rule \"{title}\" ({id}) matched this {logsource} record: {actor} {action}"
             "{on_target}.")


def rules_folder(setting: Any) -> Path | None:
    if not setting:
        return None
    return BUILTIN_RULES if str(setting) == "builtin" else Path(str(setting))


@register
class SigmaAnalyzer(Analyzer):
    NAME = "sigma"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("Sigma: run a folder of Sigma rules (--sigma DIR, or --sigma builtin for "
             "tracehound's own) on CloudTrail, Azure, Entra and M365 records")
    CONSUMES = ()

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        folder = rules_folder(ctx.setting("sigma_dir", None))
        if folder is None:
            return []
        runs = self._runs(folder, events, ctx)
        found = [self._finding(run, match) for run in runs for match in run.matches]
        return sorted(found, key=Finding.sort_key)

    def artifacts(self, events: Sequence[Event], ctx: Context) -> Mapping[str, list]:
        folder = rules_folder(ctx.setting("sigma_dir", None))
        if folder is None:
            return {}
        ruleset, runs = ctx.shared["sigma"][str(folder)]
        return {"sigma": [summary(ruleset, runs)]}

    def _runs(self, folder: Path, events: Sequence[Event], ctx: Context) -> list[RuleRun]:
        cache = ctx.shared.setdefault("sigma", {})
        if str(folder) not in cache:
            ruleset = load_rules(folder)
            with connection(events, ctx) as con:
                cache[str(folder)] = (ruleset, run_rules(con, ruleset.converted))
        return cache[str(folder)][1]

    def _finding(self, run: RuleRun, match: dict) -> Finding:
        info = run.rule.info
        values = {"title": info.title, "id": info.id, "logsource": info.logsource,
                  "actor": match["actor"] or "an unknown actor", "action": match["action"],
                  "on_target": f" on {match['target']}" if match["target"] else ""}
        return Finding(
            rule=f"TH-SIGMA-{info.id}", tool=self.NAME, category=category(info),
            severity=severity(info), title=info.title, statement=STATEMENT.format(**values),
            refs=(EvidenceRef(match["sha256"], match["locator"]),), time=match["time"],
            actor=match["actor"], target=match["target"], techniques=techniques(info),
            engine_version=self.engine_version,
            details={"sigma_id": info.id, "sigma_title": info.title, "sigma_file": info.path,
                     "sigma_level": info.level, "sigma_status": info.status,
                     "sigma_author": info.author, "sigma_logsource": info.logsource})


def summary(ruleset: RuleSet, runs: Sequence[RuleRun]) -> dict[str, Any]:
    """Counts and reasons: how many rules converted, ran, fired, and why the rest did not."""
    not_run = [r for r in runs if r.error]
    return {
        "folder_files": len({r.info.path for r in ruleset.converted}
                            | {r.path for r in ruleset.rejected}),
        "converted": len(ruleset.converted), "ran": len(runs) - len(not_run),
        "fired": sum(1 for r in runs if r.matches),
        "not_converted": [{"file": r.path, "kind": r.kind, "problem": r.problem}
                          for r in ruleset.rejected],
        "not_run": [{"file": r.rule.info.path, "problem": r.error} for r in not_run],
    }
