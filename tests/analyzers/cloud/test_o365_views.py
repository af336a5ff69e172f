"""Tool 3 (o365-views): the six views and a spreadsheet-safe CSV export."""

from __future__ import annotations

from m365_builders import R, artifacts, rule, run, ual
from tracehound.report.cloud_views import view_csv


def test_views_and_csv_export():
    events = ual(R.login("2024-03-11T02:14:30", "megan.bowen@contoso.com", "1.2.3.4", "UA"),
                 rule("=HYPERLINK(\"http://x\")", MarkAsRead="True"),
                 rule("Newsletters", when="2024-03-11T02:40:00", MoveToFolder="Newsletters"))
    assert run("o365-views", events) == []
    views = {v["view"]: v for v in artifacts("o365-views", events, view_limit=2)["o365_views"]}
    assert list(views) == ["timeline", "suspicious", "users", "ips", "mailbox", "inbox_rules"]
    assert (views["timeline"]["total"], len(views["timeline"]["rows"])) == (3, 2)
    assert [(r["rule"], r["refs"]) for r in views["suspicious"]["rows"]] == [
        ("TH-M365-INBOX-RULE", "aaaaaaaaaaaa:line 2")]
    assert [r["client_ip"] for r in views["ips"]["rows"]] == ["1.2.3.4", "45.142.120.33"]
    assert [r["rule_name"] for r in views["inbox_rules"]["rows"]] == [
        '=HYPERLINK("http://x")', "Newsletters"]
    text = view_csv(views["inbox_rules"])
    assert text.splitlines()[0] == "time,actor,operation,rule_name,parameters,client_ip,sha256,locator"
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
