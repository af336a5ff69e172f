"""Shared set-up of the Sigma tests: fixture paths, a case store loaded from them, and a rule
folder run over that store."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from tracehound.evidence import collect
from tracehound.pipeline import parse_sources
from tracehound.sigma import load_rules, run_rules
from tracehound.store import CaseStore
from shared_data import SIGMAHQ_CLOUD

TESTS = Path(__file__).resolve().parents[1]
SIGMAHQ = SIGMAHQ_CLOUD
CLOUDTRAIL = TESTS / "fixtures" / "cloud" / "cloudtrail"
AZURE = TESTS / "fixtures" / "cloud" / "azure"
SIGMA_FIXTURES = TESTS / "sigma" / "fixtures"


@contextmanager
def loaded_store(*paths: Path) -> Iterator[tuple[CaseStore, dict[str, str]]]:
    """A case store holding the parsed events of `paths`; also {sha256: file name}."""
    with collect(list(paths)) as intake, CaseStore() as store:
        _, events, issues, _ = parse_sources(intake, None, None, store)
        store.load_events(events)
        names = {s.sha256: Path(s.path).name for s in intake.sources}
        yield store, names


def run_folder(rules: Path, *paths: Path) -> tuple:
    """(ruleset of `rules`, the run of each converted rule over `paths`, {sha256: file name})."""
    ruleset = load_rules(rules)
    with loaded_store(*paths) as (store, names):
        runs = run_rules(store.con, ruleset.converted)
    return ruleset, runs, names
