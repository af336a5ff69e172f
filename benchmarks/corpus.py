"""Benchmark: real agent session logs through the whole pipeline, counted.

Runs `tracehound analyze FILE` (in process: `pipeline.analyze`, then `Case.to_json`) on every
file under DIR, or on every file the manifest lists under DIR, and prints per file: the format
read, the steps read (against the manifest's independent count when there is one), parse
issues, the case type, and the findings of medium or above by category and rule. Totals: files
read, sessions with an alarm (any finding above low) as a count and a share, and for labelled
risky sessions how many labelled risky steps a finding of medium or above covers.

    python -m benchmarks.corpus tests/data/real --manifest tests/data/real/manifest.json
    python -m benchmarks.corpus /work/corpus/unlabelled --json

Not a test: it never fails on odd output and always exits 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ALARM = "medium"        # an alarm is a finding at this severity or above


def _manifest(path: str | None) -> list[dict]:
    if not path:
        return []
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"corpus: manifest {path} not read: {exc}", file=sys.stderr)
        return []
    return [e for e in data if isinstance(e, dict)] if isinstance(data, list) else []


def _entry_path(entry: dict, repo_root: Path) -> Path | None:
    if entry.get("committed_path"):
        return (repo_root / entry["committed_path"]).resolve()
    if entry.get("local_path"):
        return Path(entry["local_path"]).resolve()
    return None


def _repo_root(manifest: str | None) -> Path:
    """The folder committed paths are relative to: the working folder or a manifest ancestor."""
    here = Path(manifest).resolve().parents if manifest else ()
    for candidate in (Path.cwd(), *here):
        if (candidate / "tests" / "data" / "real").is_dir():
            return candidate
    return Path.cwd()


def select_files(folder: Path, manifest: list[dict], repo_root: Path) -> list[tuple[Path, dict]]:
    """Every file under `folder`, or every manifest file under it, with its manifest entry."""
    folder = folder.resolve()
    by_path = {p: e for e in manifest if (p := _entry_path(e, repo_root))}
    if manifest:
        return sorted(((p, e) for p, e in by_path.items()
                       if p.is_file() and folder in p.parents), key=lambda pe: str(pe[0]))
    return [(p, by_path.get(p, {})) for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json" and not p.name.startswith(".")]


def _rank(severity: str | None) -> int:
    from tracehound.model import SEVERITY_RANK
    return SEVERITY_RANK.get(severity or "", 0)


def _step_locators(doc: dict) -> dict[tuple[str, int], set[str]]:
    """(session, step index) -> the locators of the step's refs."""
    out: dict[tuple[str, int], set[str]] = {}
    for trace in doc.get("traces") or []:
        for step in trace.get("steps") or []:
            refs = step.get("refs") or []
            out[(str(trace.get("session")), step.get("index"))] = {
                r.get("locator") for r in refs if isinstance(r, dict)}
    return out


def _flagged(label_step: dict, alarms: list[dict], steps: dict) -> bool:
    """True when an alarm finding's steps (or refs) include the labelled step."""
    want = label_step.get("locator") or (f"line {label_step['line']}"
                                         if label_step.get("line") is not None else None)
    if not want:
        return False
    for finding in alarms:
        if any(r.get("locator") == want for r in finding.get("refs") or [] if isinstance(r, dict)):
            return True
        members = finding.get("steps") or [finding.get("step")]
        session = str(finding.get("session"))
        if any(want in steps.get((session, m), ()) for m in members if m is not None):
            return True
    return False


def measure(path: Path, entry: dict) -> dict:
    """Analyze one file and summarise what the case says about it."""
    from tracehound.pipeline import Options, analyze
    row: dict = {"file": str(path), "id": entry.get("id"), "manifest_steps":
                 (entry.get("steps") or {}).get("count")}
    try:
        doc = analyze([path], Options(reproducible=True)).to_json()
    except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not stop
        row.update(error=f"{type(exc).__name__}: {exc}", format=None, steps=0, turns=0,
                   parse_issues=0, case_type=None, alarms={}, alarm=False)
        return row
    formats = sorted({e.get("format") or "unknown" for e in doc.get("evidence") or []})
    traces = doc.get("traces") or []
    alarms = [f for f in doc.get("findings") or [] if _rank(f.get("severity")) >= _rank(ALARM)]
    by_rule = Counter(f"{f.get('category')}/{f.get('rule')}" for f in alarms)
    row.update(format=",".join(formats),
               steps=sum(len(t.get("steps") or []) for t in traces),
               turns=sum(len(t.get("turns") or []) for t in traces),
               parse_issues=len(doc.get("parse_issues") or []),
               case_type=(doc.get("classification") or {}).get("case_type"),
               alarms=dict(sorted(by_rule.items())), alarm=bool(alarms))
    label = entry.get("label") or {}
    if isinstance(label, dict) and label.get("verdict") == "risky":
        lsteps = [s for s in label.get("steps") or [] if isinstance(s, dict)]
        locs = _step_locators(doc)
        row["risky_steps"] = len(lsteps)
        row["risky_flagged"] = sum(_flagged(s, alarms, locs) for s in lsteps)
    return row


def totals(rows: list[dict]) -> dict:
    read = [r for r in rows if r.get("format") not in (None, "unknown")
            and (r.get("steps") or r.get("turns"))]
    alarmed = sum(1 for r in rows if r.get("alarm"))
    out = {"files": len(rows), "files_read": len(read), "alarm_sessions": alarmed,
           "alarm_share_pct": round(100.0 * alarmed / len(rows), 1) if rows else 0.0,
           "steps_match_manifest": sum(1 for r in rows if r.get("manifest_steps") is not None
                                       and r.get("steps") == r["manifest_steps"]),
           "with_manifest_steps": sum(1 for r in rows if r.get("manifest_steps") is not None)}
    risky = [r for r in rows if "risky_steps" in r]
    if risky:
        out["labelled_risky_steps"] = sum(r["risky_steps"] for r in risky)
        out["labelled_risky_flagged"] = sum(r["risky_flagged"] for r in risky)
    return out


def _print_text(rows: list[dict], total: dict) -> None:
    for r in rows:
        name = r.get("id") or r["file"]
        known = "?" if r.get("manifest_steps") is None else r["manifest_steps"]
        print(f"{name}: format={r.get('format')} steps={r.get('steps')} (manifest {known}) "
              f"turns={r.get('turns')} issues={r.get('parse_issues')} case={r.get('case_type')}")
        if r.get("error"):
            print(f"    error: {r['error']}")
        for rule, n in (r.get("alarms") or {}).items():
            print(f"    {n} x {rule}")
        if "risky_steps" in r:
            print(f"    labelled risky steps flagged: {r['risky_flagged']} of {r['risky_steps']}")
    print(f"files: {total['files']}  read: {total['files_read']}  "
          f"steps equal to manifest: {total['steps_match_manifest']} of "
          f"{total['with_manifest_steps']}")
    print(f"sessions with a finding above low: {total['alarm_sessions']} of {total['files']} "
          f"({total['alarm_share_pct']}%)")
    if "labelled_risky_steps" in total:
        print(f"labelled risky steps flagged at medium or above: "
              f"{total['labelled_risky_flagged']} of {total['labelled_risky_steps']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", help="folder of session files")
    parser.add_argument("--manifest", help="manifest.json: measure only the files it lists")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    args = parser.parse_args(argv)
    folder = Path(args.dir)
    repo_root = _repo_root(args.manifest)
    rows = [measure(p, e) for p, e in select_files(folder, _manifest(args.manifest), repo_root)]
    rows.sort(key=lambda r: (r.get("id") or "", r["file"]))
    total = totals(rows)
    if args.json:
        print(json.dumps({"files": rows, "totals": total}, indent=2, sort_keys=True))
    else:
        _print_text(rows, total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
