"""The report names the SigmaHQ rules behind a case's findings once, with their authors and
license, escaped like every other evidence-derived string."""

from __future__ import annotations

from dataclasses import replace

from sigma_case import AZURE, CLOUDTRAIL

from tracehound.pipeline import Options, analyze
from tracehound.report.html import render_html

HOSTILE = "<script>alert(1)</script> O'Brien"


def test_attribution_section_lists_each_rule_once_with_its_author():
    case = analyze([AZURE / "benign_admin_day.json"], Options(reproducible=True))
    html = render_html(case, reproducible=True)
    assert html.count('<section id="sigma-attribution">') == 1
    section = html.split('<section id="sigma-attribution">')[1].split("</section>")[0]
    assert "Detection Rule License (DRL) 1.1" in section
    assert "SigmaHQ/sigma@8eaafff1f2845a696050e05e72ba1140ee190698" in section
    assert "Austin Songer @austinsonger" in section and section.count("sawwinnnaung") == 2
    # rules folded into our findings are credited too (granting permission: rbac findings)
    assert "Granting Of Permissions To An Account" in section


def test_attribution_is_escaped():
    case = analyze([AZURE / "benign_admin_day.json"], Options(tools=["sigma"],
                                                                reproducible=True))
    first = case.findings[0]
    case.findings[0] = replace(first, details={**first.details, "sigma_author": HOSTILE})
    html = render_html(case, reproducible=True)
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; O&#39;Brien" in html


def test_no_sigma_match_no_attribution_section():
    case = analyze([CLOUDTRAIL / "benign_admin_day.json"], Options(reproducible=True))
    assert not any(f.tool == "sigma" or f.details.get("also_matched") for f in case.findings)
    assert 'id="sigma-attribution"' not in render_html(case, reproducible=True)
