"""The HTML report of the hand-built kepler-shaped case: what it states, links, hides, omits."""

from __future__ import annotations

import re
from html import unescape

import pytest

from report_builders import AGENT, PAYMENTS, PLANTED_KEY, PLANTED_SECRET, SESSION, write_case
from tracehound.report.claims import find_claims, report_prose
from tracehound.report.html import render_html
from tracehound.report.render import _environment


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    return write_case(tmp_path_factory.mktemp("ev"))


@pytest.fixture(scope="module")
def html(case):
    return render_html(case, reproducible=True)


def text_of(html: str) -> str:
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).replace("\xa0", " ")
    return text.replace(" ,", ",").replace(" .", ".").replace("( ", "(").replace(" )", ")")


def test_header_states_agent_session_and_window(html):
    text = text_of(html)
    assert f"{AGENT} / {SESSION}" in text
    assert "2026-04-12T14:00:00Z to 2026-04-12T14:08:30Z" in text
    assert "8.5 minutes on 2026-04-12" in text
    assert "agent-runaway (confidence 86%)" in text and "privilege-escape" in text


def test_the_arc_runs_from_enumeration_to_persistence(html):
    arc = re.search(r'<td class="arc">(.*?)</td>', html).group(1)
    phases = re.findall(r'class="phase phase-[a-z-]+">([a-z ]+)<', arc)
    assert phases == ["enumeration", "scope creep", "exfiltration", "persistence"]
    assert "steps 1\u20132" in arc and "steps 4\u20135" in arc


def test_each_step_row_shows_tool_target_approver_and_phase(html):
    rows = re.findall(r'<tr id="t1-s(\d)">(.*?)</tr>', html, re.S)
    assert [n for n, _ in rows] == ["1", "2", "3", "4", "5", "6"]
    step4 = text_of(rows[3][1])
    assert "aws.s3.get-object" in step4 and f"{PAYMENTS}/exports/2026-q1-claims.csv" in step4
    assert "null" in step4 and "exfiltration" in step4
    assert "taylor.keel@kepler.example" in text_of(rows[0][1])


def test_credentials_grants_data_and_approvals(html):
    text = text_of(html)
    assert "SyntheticKeplerSREAgentRole" in text
    assert "Yes: 1 finding(s) show a grant to the agent's principal that goes beyond" in text
    assert "8,128,720 bytes (7.8 MiB) named by 2 exfiltration finding(s)" in text
    assert "payment csv" in text
    assert "5 of 6 step(s) have no approver on record, 4 of them high-impact or flagged" in text
    assert "rate(1 hour)" in text and "eventbridge-schedule" in text


def test_every_finding_names_tool_engine_version_and_evidence(case, html):
    for number, finding in enumerate(case.findings, start=1):
        block = re.search(rf'<div class="finding" id="f-{finding.id}">(.*?)</div>', html, re.S)
        assert block, finding.rule
        body = text_of(block.group(1))
        assert f"F{number}" in body and finding.tool in body
        assert finding.engine_version in body
        for ref in finding.refs:
            assert ref.locator in body


def test_every_internal_link_resolves(html):
    ids = set(re.findall(r' id="([^"]+)"', html))
    hrefs = set(re.findall(r' href="#([^"]+)"', html))
    assert hrefs and hrefs <= ids, hrefs - ids
    assert not re.findall(r' href="(?!#)', html)


def test_excerpts_show_the_record_with_secrets_redacted(html):
    assert '&#34;step_index&#34;: 4' in html          # the trace line itself, verbatim
    assert PLANTED_KEY not in html and PLANTED_SECRET not in html
    assert "AKIA\u2026[sha256:" in html


def test_preservation_log_has_every_sha256(case, html):
    log = html.split('id="preservation"', 1)[1].split("</section>", 1)[0]
    for evidence in case.evidence:
        assert evidence.sha256 in log
    assert "Hashed at" not in log and "2026-04-13" not in html


def test_limits_handoff_and_declaration(html):
    text = text_of(html)
    for team in ("Platform / SRE", "Security / IR", "Privacy / counsel", "Vendor support"):
        assert team in text
    for heading in ("1. Qualifications", "2. Materials received", "3. Methods", "4. Findings",
                    "5. Limits", "6. Conclusion", "Example expert paragraph"):
        assert heading in text
    paragraph = re.search(r'<p class="paragraph">(.*?)</p>', html, re.S).group(1)
    assert f"agent {AGENT}, session {SESSION}" in paragraph
    assert "6-step tool-call sequence" in paragraph
    assert "Not supplied: MCP server logs." in text


def test_the_report_makes_no_forbidden_claim(html):
    assert find_claims(report_prose(html)) == []


def test_reproducible_html_is_stable_and_has_no_clock(case, html, tmp_path):
    assert render_html(case, reproducible=True) == html
    again = render_html(write_case(tmp_path / "ev"), reproducible=True)
    assert re.sub(r"/tmp/\S+?/ev\d*", "EV", again) == re.sub(r"/tmp/\S+?/ev\d*", "EV", html)
    assert "Generated" not in html and "dcterms" not in html


def test_without_reproducible_the_clock_is_labelled(case):
    live = render_html(case, reproducible=False)
    assert re.search(r"Generated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(the clock of the machine", live)
    assert "dcterms.created" in live and "2026-04-13 09:00:00" in live


def test_sections_render_only_when_present(tmp_path):
    bare = write_case(tmp_path / "ev", extra=False)
    bare.artifacts["graphs"] = []
    html = render_html(bare, reproducible=True)
    for section in ("timeline", "iocs", "aibom", "drift", "runbook", "graphs"):
        assert f'id="{section}"' not in html
    full = render_html(write_case(tmp_path / "ev2"), reproducible=True)
    for section in ("timeline", "iocs", "aibom", "drift", "runbook", "graphs"):
        assert f'id="{section}"' in full


def test_autoescape_is_on_for_every_template_name():
    env = _environment()
    for name in ("report.html.j2", "x.html", "x.j2", "x.txt", None):
        assert env.autoescape(name) is True


def test_a_long_trace_lists_its_flagged_steps_and_says_what_it_left_out(case):
    from dataclasses import replace
    trace = case.artifacts["traces"][0]
    long = dict(trace, steps=[dict(trace["steps"][1], index=i, parent=1)
                              for i in range(1, 1001)])
    finding = replace(case.findings[0], step=900)
    big = replace(case, findings=[finding], artifacts={"traces": [long], "graphs": []})
    html = render_html(big, reproducible=True)
    rows = re.findall(r'<tr id="t1-s(\d+)">', html)
    assert len(rows) == 101 and rows[-1] == "900" and rows[99] == "100"
    assert "899 of the session's 1000 steps are not listed" in html
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert set(re.findall(r' href="#([^"]+)"', html)) <= ids


def test_past_the_cap_findings_are_counted_not_printed(case):
    from dataclasses import replace
    from tracehound.report.facts import MAX_FINDINGS
    many = [replace(case.findings[0], rule=f"TH-X-{i}") for i in range(MAX_FINDINGS + 7)]
    html = render_html(replace(case, findings=many), reproducible=True)
    assert html.count('<div class="finding"') == MAX_FINDINGS
    assert f"7 further finding(s) (F{MAX_FINDINGS + 1} onward) are not printed here" in html
    ids = set(re.findall(r' id="([^"]+)"', html))
    assert set(re.findall(r' href="#([^"]+)"', html)) <= ids
