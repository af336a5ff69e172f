"""Sigma rules on tracehound's case store: pySigma + the DuckDB backend + our field mapping.

`load_rules(folder)` converts a folder of Sigma YAML (keeping every rejected rule with its
reason), `run_rules(con, rules)` runs the converted ones on the `events` table in one batched
pass. SigmaHQ's cloud rules chosen in `sigmahq/selection.yaml` ship in `sigmahq/rules/` and run
on every case (defaults.py); a Sigma hit on the records of one of our findings folds into it
(merge.py). Our own detections ship as Sigma in `rules/` (BUILTIN_RULES) so they can also go to
a SIEM.
"""

from pathlib import Path

from .convert import ConvertedRule, RejectedRule, RuleInfo, RuleSet, load_rules
from .runner import RuleRun, run_rules

BUILTIN_RULES = Path(__file__).parent / "rules"

__all__ = ["BUILTIN_RULES", "ConvertedRule", "RejectedRule", "RuleInfo", "RuleRun", "RuleSet",
           "load_rules", "run_rules"]
