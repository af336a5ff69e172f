"""The report of the kepler reference case, end to end: golden HTML, what it must state, what
it must not claim, byte-identical reruns from the command line, and page 1 as a person sees it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from goldens import check_golden_text
from test_pdf import MIN_INK, page_ink
from tracehound.pipeline import Options, analyze
from tracehound.report.claims import find_claims, report_prose
from tracehound.report.html import render_html
from tracehound.report.pdf import pdf_bytes

kepler = pytest.importorskip("tracehound.fixtures.kepler")
SESSION = "sess-7f3c2a9e-41b0-4d6f-9a2e-5c8b1d0e4f21"
TRACEHOUND = Path(sys.executable).with_name("tracehound")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """The pack written to a fresh folder and analyzed by its relative path (so no absolute
    path reaches the report), rendered as HTML, and as the print edition and its PDF, with
    --reproducible."""
    root = tmp_path_factory.mktemp("kepler")
    kepler.write_pack(root / "kepler-pack")
    here = os.getcwd()
    os.chdir(root)
    try:
        case = analyze(["kepler-pack"], Options(reproducible=True))
        html = render_html(case, reproducible=True)
        printed = render_html(case, reproducible=True, printed=True)
    finally:
        os.chdir(here)
    data, refused = pdf_bytes(printed, True)
    (root / "report.pdf").write_bytes(data)
    return {"root": root, "case": case, "html": html, "printed": printed,
            "pdf": root / "report.pdf", "refused": refused}


def normalized(html: str) -> str:
    """The golden form: no generation-time line, and graph pictures reduced to their node
    labels (their coordinates come from the installed Graphviz)."""
    html = re.sub(r'<p class="generated">.*?</p>\n', "", html)
    html = re.sub(r'<meta name="dcterms\.(created|modified)"[^>]*>\n', "", html)

    def labels(match: re.Match[str]) -> str:
        found = re.findall(r"<text[^>]*>([^<]*)</text>", match.group(0))
        return '<svg class="th-chart th-graph">' + "|".join(found) + "</svg>"
    html = re.sub(r'<svg xmlns="[^"]+" class="th-chart th-graph".*?</svg>', labels, html,
                  flags=re.S)
    return re.sub(r"Layout: (Graphviz dot|built-in layered layout)\.", "Layout: (engine).", html)


def text_of(html: str) -> str:
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).replace("\xa0", " ")
    return text.replace(" ,", ",").replace(" .", ".").replace("( ", "(").replace(" )", ")")


def section(html: str, name: str) -> str:
    return html.split(f'<section id="{name}"', 1)[1].split("</section>", 1)[0]


# Seed 001, "the report should state": (item, section, pattern in that section's text).
SHOULD_STATE = (
    ("agent id, session id and wall-clock window", "summary",
     rf"kepler-sre-agent-01 / {SESSION} Wall-clock window 2026-04-12T14:00:00Z to "
     r"2026-04-12T14:08:30Z — 8\.5 minutes on 2026-04-12"),
    ("deployed scope vs observed tool calls, enumeration to persistence", "steps",
     r"Deployed scope .*Read-only S3 tagging audit.* 2 ← 1 14:00:20 aws\.s3\.list-buckets"),
    ("credential principal and whether grants exceeded the written intent", "credentials",
     r"SyntheticKeplerSREAgentRole.*Did the grants exceed the written intent\? Yes"),
    ("data touched and egress byte counts", "data",
     r"2026-q1-claims-export\.csv .*[\d,]+ .*member-roster-2026-04\.csv .*Bytes named by "
     r"these findings: [\d,]+ bytes"),
    ("approver null on unattended steps", "approvals",
     r"have no approver on record.* 13 2026-04-12 14:04:06 .* null"),
    ("tool and engine version of each finding", "findings",
     r"Produced by accountability-tracer \(tracehound [\d.]+ / accountability-tracer \d+\)"),
    ("sha-256 of each export in the preservation log", "preservation",
     r"E1 kepler-pack/accountability-attribution-corpus\.ndjson [0-9a-f]{64}"),
)


@pytest.mark.parametrize("item, name, pattern", SHOULD_STATE, ids=[s[0] for s in SHOULD_STATE])
def test_every_should_state_item_appears(rendered, item, name, pattern):
    assert re.search(pattern, text_of(section(rendered["html"], name))), item


def test_golden_report(rendered):
    assert str(rendered["root"]) not in rendered["html"]
    check_golden_text("kepler/report.html", normalized(rendered["html"]))


def test_header_states_agent_session_window_and_types(rendered):
    summary = text_of(section(rendered["html"], "summary"))
    assert f"kepler-sre-agent-01 / {SESSION}" in summary
    assert "2026-04-12T14:00:00Z to 2026-04-12T14:08:30Z" in summary
    assert "8.5 minutes on 2026-04-12, 26 tool call(s)" in summary
    assert "Case type agent-runaway" in summary and "Incident type privilege-escape" in summary


def test_timeline_shows_the_escalation_arc_step_by_step(rendered):
    html = rendered["html"]
    arc = re.search(r'<td class="arc">(.*?)</td>', html).group(1)
    phases = re.findall(r'class="phase phase-[a-z-]+">([a-z ]+)<', arc)
    assert phases[0] == "enumeration" and "exfiltration" in phases
    assert phases.index("scope creep") < phases.index("exfiltration") < phases.index(
        "persistence")
    rows = re.findall(r'<tr id="t1-s(\d+)">(.*?)</tr>', html, re.S)
    assert [int(n) for n, _ in rows] == list(range(1, 27))
    by_step = {int(n): text_of(body) for n, body in rows}
    assert "aws.s3.list-buckets" in by_step[2] and "enumeration" in by_step[2]
    assert "aws.s3.list-objects" in by_step[10] and "scope creep" in by_step[10]
    for step in (13, 14):
        assert "aws.s3.get-object" in by_step[step] and "exfiltration" in by_step[step]
    for step in (17, 18, 19):
        assert "persistence" in by_step[step]


def test_credentials_data_egress_and_null_approvers(rendered):
    html = rendered["html"]
    creds = text_of(section(html, "credentials"))
    assert "SyntheticKeplerSREAgentRole" in creds
    assert "Did the grants exceed the written intent? Yes" in creds
    data = text_of(section(html, "data"))
    assert "2026-q1-claims-export.csv" in data and "member-roster-2026-04.csv" in data
    assert re.search(r"Bytes named by these findings: [\d,]+ bytes", data)
    approvals = text_of(section(html, "approvals"))
    for step in ("13", "14", "17", "18", "19"):
        assert re.search(rf"\b{step} 2026-04-12 14:\d\d:\d\d .*? null", approvals)
    assert "step 1 (taylor.keel@kepler-insurance.example)" in approvals


def test_every_finding_has_tool_engine_version_and_linked_evidence(rendered):
    html, case = rendered["html"], rendered["case"]
    assert case.findings
    for finding in case.findings:
        block = re.search(rf'<div class="finding" id="f-{finding.id}">(.*?)</div>', html, re.S)
        assert block, finding.rule
        assert finding.tool in block.group(1) and finding.engine_version in block.group(1)
        assert re.search(r'<a class="ref" href="#ev-[0-9a-f]{12}"', block.group(1))


def test_preservation_log_lists_every_export_with_its_sha256(rendered):
    log = section(rendered["html"], "preservation")
    assert len(rendered["case"].evidence) == 9
    for evidence in rendered["case"].evidence:
        assert evidence.sha256 in log and evidence.path in log


def test_handoff_and_declaration_are_filled_from_the_case(rendered):
    handoff = text_of(section(rendered["html"], "handoff"))
    assert "kepler-s3-lifecycle-tagger" in handoff
    assert SESSION in handoff and "claude-sonnet-4-5-20250929" in handoff
    paragraph = re.search(r'<p class="paragraph">(.*?)</p>', rendered["html"], re.S).group(1)
    assert f"agent kepler-sre-agent-01, session {SESSION}" in paragraph
    assert "26-step tool-call sequence" in paragraph and "8.5 minutes" in paragraph


def test_the_report_makes_no_forbidden_claim(rendered):
    assert find_claims(report_prose(rendered["html"])) == []


def test_planted_secrets_never_appear(rendered):
    from tracehound.fixtures.kepler_scenario import planted_credentials
    for secret in planted_credentials():
        assert secret not in rendered["html"]


def test_rendering_fetched_nothing_and_page_one_has_ink(rendered):
    assert rendered["refused"] == []
    assert page_ink(rendered["pdf"]) > MIN_INK


@pytest.mark.skipif(not TRACEHOUND.exists(), reason="tracehound script not installed")
def test_command_line_rerun_is_byte_identical(rendered):
    root = rendered["root"]
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run([str(TRACEHOUND), "report", "kepler-pack", "--html", "cli.html",
                           "--pdf", "cli.pdf", "--reproducible"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (root / "cli.html").read_text(encoding="utf-8") == rendered["html"]
    assert (root / "cli.pdf").read_bytes() == rendered["pdf"].read_bytes()
    assert "HTML report: cli.html" in done.stdout and "PDF report: cli.pdf" in done.stdout


def test_print_edition_keeps_every_finding_with_its_evidence_refs(rendered):
    html, printed = rendered["html"], rendered["printed"]
    for finding in rendered["case"].findings:
        pattern = rf'<div class="finding" id="f-{finding.id}">(.*?)</div>'
        screen, paper = re.search(pattern, html, re.S), re.search(pattern, printed, re.S)
        assert screen and paper, finding.rule
        refs = re.findall(r'<a class="ref"[^>]*>(E\d+) [^<]*? · ([^<]+)</a>', screen.group(1))
        assert refs, finding.rule
        for code, locator in refs:
            assert f'<span class="ref">{code} {locator}</span>' in paper.group(1)
        assert re.findall(r"\+\d+ more", screen.group(1)) == re.findall(r"\+\d+ more",
                                                                       paper.group(1))
        for part in (finding.tool, finding.engine_version):
            assert part in paper.group(1)


def test_print_edition_says_what_it_leaves_to_the_html_report(rendered):
    printed = text_of(rendered["printed"])
    runs = re.findall(r"(\d+) plain enumeration call\(s\), no finding and no approver on "
                      r"record: .*?\. Each is listed with its evidence in the HTML report\.",
                      printed)
    listed = re.findall(r'<tr id="t1-s(\d+)">', rendered["printed"])
    assert sum(int(n) for n in runs) + len(listed) == 26
    assert {"10", "13", "14", "17", "18", "19"} <= set(listed)
    assert "quoted in the appendix of the HTML report, not in print" in printed
    assert 'id="ev-' not in rendered["printed"]             # no excerpt, no dangling link
    assert "listed with their SHA-256 in the preservation log (E1 to E9)" in printed
    assert find_claims(report_prose(rendered["printed"])) == []


def test_the_pdf_names_every_finding(rendered):
    done = subprocess.run(["pdftotext", str(rendered["pdf"]), "-"], capture_output=True,
                          check=True, timeout=60, text=True)
    text = re.sub(r"\s+", " ", done.stdout)
    for number in range(1, len(rendered["case"].findings) + 1):
        assert re.search(rf"\bF{number}\b", text), number
    assert "Preservation log" in text and "page 1 of" in text


@pytest.mark.skipif(not TRACEHOUND.exists(), reason="tracehound script not installed")
def test_demo_outputs_are_byte_identical_across_runs(tmp_path):
    outputs = ("case.json", "report.html", "report.pdf")
    seen = []
    for _ in range(2):
        done = subprocess.run([str(TRACEHOUND), "demo", "--out", "demo", "--quiet"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        seen.append([(tmp_path / "demo" / name).read_bytes() for name in outputs])
    assert seen[0] == seen[1]
    assert b"kepler-sre-agent-01" in seen[0][1] and seen[0][2].startswith(b"%PDF-")


def test_command_needs_an_html_path(rendered):
    done = subprocess.run([str(TRACEHOUND), "report", "kepler-pack"], cwd=rendered["root"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--html" in done.stderr


pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None,
                                reason="poppler-utils (pdftoppm) is not installed")
