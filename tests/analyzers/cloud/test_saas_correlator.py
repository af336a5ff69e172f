"""Tool 7 (saas-correlator): a cross-service timeline, and no findings it cannot justify."""

from __future__ import annotations

from m365_builders import R, artifacts, run, signins, ual
from tracehound.formats.cloud.saas_audit import row_event
from tracehound.model import line_ref


def test_timeline_across_services_and_cross_service_pairs():
    box = row_event(line_ref("e" * 64, 1), {"actor": "Megan.Bowen@contoso.com",
                                            "action": "file.download", "resource": "Finance",
                                            "service": "Box"}, "2024-03-11T03:40:00Z", {})
    events = ual(R.file_op("2024-03-11T03:05:00", "FileDownloaded", "megan.bowen@contoso.com",
                           "45.142.120.33", "https://contoso.sharepoint.com/sites/Finance",
                           "Docs/a.xlsx", "UA"))
    events = events + signins(R.signin("2024-03-11T02:20:11Z", "megan.bowen@contoso.com",
                                       "45.142.120.33")) + [box]
    assert run("saas-correlator", events) == []
    out = artifacts("saas-correlator", events)
    assert [(r["time"], r["service"], r["actor"], r["action"], r["ref"]["locator"])
            for r in out["saas_timeline"]] == [
        ("2024-03-11T02:20:11Z", "entra", "megan.bowen@contoso.com", "Sign-in", "line 1"),
        ("2024-03-11T03:05:00Z", "SharePoint", "megan.bowen@contoso.com", "FileDownloaded",
         "line 1"),
        ("2024-03-11T03:40:00Z", "Box", "megan.bowen@contoso.com", "file.download", "line 1")]
    assert out["saas_cross_service"] == []
    twin = row_event(line_ref("e" * 64, 2), {"actor": "megan.bowen@contoso.com",
                                             "action": "share", "resource": "Finance",
                                             "service": "Dropbox"}, "2024-03-11T03:41:00Z", {})
    pairs = artifacts("saas-correlator", [box, twin])["saas_cross_service"]
    assert [(p["actor"], p["resource"], p["services"]) for p in pairs] == [
        ("megan.bowen@contoso.com", "Finance", ["Box", "Dropbox"])]
