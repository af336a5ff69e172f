"""CSV time rules of the Sentinel exports: the header's zone, --tz for local times, the
day/month order decided per file (never per row), one issue per file and column."""

from __future__ import annotations

import pytest

from sentinel_support import SENTINEL, parse, parse_text, split
from tracehound.formats.times import (DAY_FIRST, MIXED, MONTH_FIRST, date_order, naive_time,
                                      needs_order, place_time)
from tracehound.formats.cloud.sentinel import header_zone, split_header

HEADER = "{time},UserPrincipalName,ResultType,AppDisplayName,IPAddress\n"


def signins(time_header: str, *times: str, tz: str | None = None):
    rows = "".join(f'"{t}",u{n}@contoso.com,0,Teams,192.0.2.{n}\n' for n, t in enumerate(times))
    return split(parse_text(HEADER.format(time=time_header) + rows, tz=tz))


def test_date_order_is_told_by_a_value_above_12():
    assert date_order(["03/04/2025, 10:00:00", "21/04/2025, 09:45:54.000"]) == DAY_FIRST
    assert date_order(["4/21/2025, 9:45:54 AM", "4/3/2025, 9:45:54 AM"]) == MONTH_FIRST
    assert date_order(["03/04/2025, 10:00:00", "05/06/2025, 10:00"]) is None
    assert date_order(["21/04/2025, 10:00", "4/21/2025, 10:00"]) == MIXED
    assert date_order(["2025-04-21T09:45:54Z"]) is None
    assert needs_order("03/04/2025, 10:00") and not needs_order("04/04/2025, 10:00")


def test_naive_and_placed_times():
    assert naive_time("21/04/2025, 09:45:54.120", None).isoformat() == "2025-04-21T09:45:54.120000"
    assert naive_time("03/04/2025, 09:45", DAY_FIRST).month == 4
    assert naive_time("03/04/2025, 09:45", MONTH_FIRST).month == 3
    assert naive_time("03/04/2025, 09:45", None) is None
    assert naive_time("4/21/2025, 12:05:00 AM", None).hour == 0
    assert naive_time("2025-04-21T09:45:54Z", None) is None        # it names its zone
    stamp = naive_time("2025-07-01 12:00:00", None)
    assert place_time(stamp, "UTC") == "2025-07-01T12:00:00Z"
    assert place_time(stamp, "+02:00") == "2025-07-01T10:00:00Z"
    assert place_time(stamp, "Europe/Berlin") == "2025-07-01T10:00:00Z"
    assert place_time(stamp, "Not/AZone") is None and place_time(stamp, None) is None


def test_header_zone_labels():
    assert split_header("TimeGenerated [UTC]") == ("TimeGenerated", "UTC")
    assert split_header("TimeGenerated") == ("TimeGenerated", None)
    assert header_zone("UTC") == "UTC" and header_zone("UTC+02:00") == "+02:00"
    assert header_zone("Local Time") == "local" and header_zone(None) is None


def test_the_header_zone_is_honoured():
    events, issues = signins("TimeGenerated [UTC+02:00]", "2025-07-01 12:00:00")
    assert issues == [] and events[0].time == "2025-07-01T10:00:00Z"
    events, issues = signins("TimeGenerated [UTC]", "2025-07-01 12:00:00")
    assert issues == [] and events[0].time == "2025-07-01T12:00:00Z"


def test_a_local_time_column_needs_tz():
    events, issues = signins("TimeGenerated [Local Time]", "2025-07-01 12:00:00",
                             "2025-07-01 12:05:00")
    assert [e.time for e in events] == [None, None]            # never taken as UTC
    assert [(i.locator, i.problem) for i in issues] == [
        ("row 0", "column 'TimeGenerated [Local Time]' holds local times and no --tz was "
                  "given; its times are left empty")]
    events, issues = signins("TimeGenerated [Local Time]", "2025-07-01 12:00:00",
                             tz="Europe/Berlin")
    assert issues == [] and events[0].time == "2025-07-01T10:00:00Z"


def test_zone_less_values_under_a_header_without_zone_need_tz():
    events, issues = signins("TimeGenerated", "2025-07-01 12:00:00", "2025-07-01 12:01:00")
    assert [e.time for e in events] == [None, None] and len(issues) == 1
    assert "without a zone" in issues[0].problem and "'TimeGenerated'" in issues[0].problem
    events, issues = signins("TimeGenerated", "2025-07-01T12:00:00Z")
    assert issues == [] and events[0].time == "2025-07-01T12:00:00Z"


def test_day_month_order_is_decided_per_file_not_per_row():
    # the 21st tells the whole file is day-first: 03/04 is the 3rd of April
    events, issues = signins("TimeGenerated [UTC]", "03/04/2025, 10:00:00.000",
                             "21/04/2025, 09:45:54.000")
    assert issues == []
    assert [e.time for e in events] == ["2025-04-03T10:00:00Z", "2025-04-21T09:45:54Z"]
    events, issues = signins("TimeGenerated [UTC]", "3/4/2025, 10:00:00.000 AM",
                             "4/21/2025, 9:45:54.000 PM")
    assert [e.time for e in events] == ["2025-03-04T10:00:00Z", "2025-04-21T21:45:54Z"]


def test_an_ambiguous_file_is_one_issue_per_column():
    events, issues = signins("TimeGenerated [UTC]", "03/04/2025, 10:00", "05/06/2025, 10:00",
                             "07/07/2025, 10:00")
    assert [(i.locator, i.problem) for i in issues] == [
        ("row 0", "column 'TimeGenerated [UTC]': no date has a day above 12, so day and month "
                  "cannot be told apart; its times are left empty")]
    assert [e.time for e in events] == [None, None, "2025-07-07T10:00:00Z"]   # 07/07 is one day


def test_a_file_mixing_orders_is_one_issue_and_no_row_is_guessed():
    events, issues = signins("TimeGenerated [UTC]", "21/04/2025, 10:00", "4/22/2025, 10:00")
    assert len(issues) == 1 and "day-first and others month-first" in issues[0].problem
    assert [e.time for e in events] == [None, None]


def test_the_day_first_fixture_and_the_ambiguous_one():
    events, issues, _ = parse(SENTINEL / "signinlogs-dayfirst.csv")
    assert issues == [] and events[-1].time == "2024-03-13T09:00:00Z"
    assert events[0].time == "2024-03-11T02:10:00Z"
    events, issues, _ = parse(SENTINEL / "signinlogs-ambiguous.csv")
    assert {e.time for e in events} == {None}
    assert sorted(i.problem.split(":")[0] for i in issues) == [
        "column 'CreatedDateTime [UTC]'", "column 'TimeGenerated [UTC]'"]


@pytest.mark.parametrize("tz,first", [("UTC", "2024-03-11T02:10:00Z"),
                                      ("America/New_York", "2024-03-11T06:10:00Z")])
def test_the_local_time_fixture_with_tz(tz, first):
    from tracehound.evidence import collect
    from tracehound.formats import registry
    from dataclasses import replace
    with collect([SENTINEL / "signinlogs-localtime.csv"]) as intake:
        source = replace(intake.sources[0], tz=tz)
        items = list(registry.get("sentinel-log-analytics").parse(source))
    events, issues = split(items)
    assert issues == [] and events[0].time == first


def test_an_unknown_tz_is_said_once():
    events, issues = signins("TimeGenerated [Local Time]", "2025-07-01 12:00:00",
                             "2025-07-01 12:01:00", tz="Mars/Olympus")
    assert [e.time for e in events] == [None, None]
    assert [i.problem for i in issues] == [
        "column 'TimeGenerated [Local Time]': --tz 'Mars/Olympus' names no known zone; its "
        "times are left empty"]
