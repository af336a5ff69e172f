"""Sigma rules on tracehound's case store: pySigma + the DuckDB backend + our field mapping.

`load_rules(folder)` converts a folder of Sigma YAML (keeping every rejected rule with its
reason), `run_rules(con, rules)` runs the converted ones on the `events` table in one batched
pass. SigmaHQ's cloud rules chosen in `sigmahq/selection.yaml` ship in `sigmahq/rules/` and run
on every case (defaults.py); a Sigma hit on the records of one of our findings folds into it
(merge.py). Our own detections ship as Sigma in `rules/` (BUILTIN_RULES) so they can also go to
a SIEM.

pySigma is imported only when a rule is converted or run: the names below come from
convert.py and runner.py on first use, so a case with nothing for Sigma to read (an agent
session) never loads it.
"""

from importlib import import_module
from pathlib import Path
from typing import Any

BUILTIN_RULES = Path(__file__).parent / "rules"
_HOME = {"ConvertedRule": ".convert", "RejectedRule": ".convert", "RuleInfo": ".convert",
         "RuleSet": ".convert", "load_rules": ".convert", "RuleRun": ".runner",
         "run_rules": ".runner"}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOME[name], __name__), name)
    globals()[name] = value
    return value

__all__ = ["BUILTIN_RULES", "ConvertedRule", "RejectedRule", "RuleInfo", "RuleRun", "RuleSet",
           "load_rules", "run_rules"]
