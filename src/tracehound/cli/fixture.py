"""`tracehound fixture kepler OUT_DIR [--verify]` and `tracehound demo`."""

from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .common import EXIT_OK, PRETTY, fail, finish, run_case, warn, write_json
from .common import QUIET

fixture_app = typer.Typer(help="Write reference evidence packs (generated, deterministic).",
                          no_args_is_help=True)
app.add_typer(fixture_app, name="fixture")


@fixture_app.command("kepler")
def kepler(
    out_dir: Path = typer.Argument(..., help="Folder to write the kepler evidence pack into."),
    verify: bool = typer.Option(False, "--verify", help="Also regenerate in a temporary folder "
                                "and compare byte for byte with OUT_DIR and the golden hashes."),
) -> None:
    """The kepler-runaway-agent reference case (seed 001): 26-step agent trace and its exports."""
    from ..fixtures import kepler as kepler_fixture
    written = kepler_fixture.write_pack(out_dir)
    for path in written:
        typer.echo(str(path))
    if verify:
        problems = kepler_fixture.verify(out_dir)
        for problem in problems:
            warn(str(problem))
        if problems:
            raise typer.Exit(1)
        typer.echo(f"verified: {len(written)} files match the regenerated pack and the goldens")
    raise typer.Exit(EXIT_OK)


@app.command()
def demo(out: Path = typer.Option(Path("tracehound-demo"), "--out",
                                  help="Folder for the pack, the JSON and the reports."),
         pretty: bool = PRETTY, quiet: bool = QUIET) -> None:
    """The kepler case end to end: write the pack, analyze it, write JSON, HTML and PDF."""
    from ..fixtures import kepler as kepler_fixture
    from ..report.pdf import PdfWorker
    with PdfWorker() as worker:         # imports WeasyPrint while the case is analyzed
        pack = out / "kepler-pack"
        kepler_fixture.write_pack(pack)
        case = run_case([pack], reproducible=True, quiet=quiet)
        outputs = {"evidence pack": pack, "case JSON": out / "case.json"}
        docs = []

        def case_json() -> None:        # while the worker renders the PDF
            docs.append(case.to_json())
            write_json(docs[0], outputs["case JSON"], pretty)
        from ..report import html as html_report
        outputs.update(html_report.write_reports(case, out / "report.html",
                                                 out / "report.pdf", reproducible=True,
                                                 worker=worker, meanwhile=case_json))
        doc = docs[0]
    typer.echo(f"kepler case: {len(doc['evidence'])} evidence files, "
               f"{sum(len(t['steps']) for t in doc['traces'])} trace steps, "
               f"{len(doc['findings'])} findings")
    if doc.get("classification"):
        c = doc["classification"]
        typer.echo(f"case type: {c['case_type']} / incident type: {c.get('incident_type')}")
    for label, path in outputs.items():
        typer.echo(f"{label}: {path.resolve()}")
    if not case.readable:
        raise fail("no input could be read", 3)
    finish(case, None)
