"""The README table of real sessions, generated from tests/data/real/manifest.json.

    python -m benchmarks.corpus_table                 # print the markdown table
    python -m benchmarks.corpus_table --readme README.md
        # also rewrite the part of README.md between the corpus-table markers
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

MANIFEST = Path("tests/data/real/manifest.json")
START, END = "<!-- corpus-table:start -->", "<!-- corpus-table:end -->"


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(entries: list[dict]) -> str:
    rows = ["| runtime | id | source (repo@commit : path) | license | committed | steps | label |",
            "|---|---|---|---|---|---|---|"]
    for e in sorted(entries, key=lambda e: (e.get("runtime", ""), e.get("id", ""))):
        src = e.get("source") or {}
        label = e.get("label") if isinstance(e.get("label"), dict) else None
        rows.append("| " + " | ".join(_cell(x) for x in (
            e.get("runtime"), e.get("id"),
            f"{src.get('repo')}@{str(src.get('commit'))[:8]} : {src.get('path')}",
            e.get("license"), "yes" if e.get("committed_path") else "no (local copy)",
            (e.get("steps") or {}).get("count"),
            label.get("verdict") if label else "not labelled yet")) + " |")
    committed = sum(1 for e in entries if e.get("committed_path"))
    runtimes = len({e.get("runtime") for e in entries})
    rows.append("")
    rows.append(f"{len(entries)} files from {runtimes} runtimes, {committed} committed under "
                "`tests/data/real/` (permissive licence, redacted as the manifest says); the "
                "others stay outside the repository and are listed with their sha256. Steps "
                "were counted by the one-line `jq`/`grep` command the manifest gives per file.")
    return "\n".join(rows)


def insert(readme: Path, text: str) -> None:
    body = readme.read_text(encoding="utf-8")
    if START not in body or END not in body:
        raise SystemExit(f"{readme}: markers {START} / {END} not found")
    head, rest = body.split(START, 1)
    _, tail = rest.split(END, 1)
    readme.write_text(f"{head}{START}\n{text}\n{END}{tail}", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.corpus_table")
    parser.add_argument("--manifest", default=str(MANIFEST))
    parser.add_argument("--readme", help="README to update between the corpus-table markers")
    args = parser.parse_args(argv)
    text = table(json.loads(Path(args.manifest).read_text(encoding="utf-8")))
    if args.readme:
        insert(Path(args.readme), text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
