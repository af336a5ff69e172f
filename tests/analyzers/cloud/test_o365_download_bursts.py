"""Bulk-download bursts: only the user-hours over the limit are listed, each with all of its
downloads; a burst of records that name no user is still one user-hour."""

from __future__ import annotations

from datetime import datetime, timedelta

from m365_builders import R, run, ual


def downloads(count: int, user: str, start: str) -> list[dict]:
    base = datetime.fromisoformat(start)
    out = []
    for n in range(count):
        record = R.file_op((base + timedelta(seconds=20 * n)).isoformat(), "FileDownloaded",
                           user, f"45.142.120.{n % 3 + 1}",
                           "https://contoso.sharepoint.com/sites/Finance", f"Docs/f{n}.xlsx",
                           "UA")
        if not user:
            record.pop("UserId", None)
        out.append(record)
    return out


def test_only_user_hours_over_the_limit_with_all_their_downloads():
    events = ual(*downloads(12, "megan.bowen@contoso.com", "2024-03-11T03:05:00"),
                 *downloads(4, "megan.bowen@contoso.com", "2024-03-11T04:05:00"),
                 *downloads(11, "adele.vance@contoso.com", "2024-03-11T03:10:00"))
    found = run("o365-audit", events, bulk_download_per_hour=10)
    assert [(f.actor, f.details["files"], len(f.refs), f.details["ips"]) for f in found] == [
        ("megan.bowen@contoso.com", 12, 12, ["45.142.120.1", "45.142.120.2", "45.142.120.3"]),
        ("adele.vance@contoso.com", 11, 11, ["45.142.120.1", "45.142.120.2", "45.142.120.3"])]


def test_a_burst_without_a_user_is_one_user_hour():
    found = run("o365-audit", ual(*downloads(12, "", "2024-03-11T03:05:00")),
                bulk_download_per_hour=10)
    assert [(f.rule, f.details["files"], len(f.refs)) for f in found] == [
        ("TH-M365-BULK-DOWNLOAD", 12, 12)]
