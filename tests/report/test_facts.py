"""Times in the report's sentences: in time order, whatever the fraction of a second."""

from __future__ import annotations

from tracehound.report.declaration import finding_lines
from tracehound.report.facts import instant, parse_time, window

# The canonical UTC form carries a fraction only when it is non-zero, so text order is not
# time order: "14:00:00.5Z" sorts before "14:00:00Z".
EARLY, HALF, LATE = "2026-04-12T14:00:00Z", "2026-04-12T14:00:00.5Z", "2026-04-12T14:00:01Z"


def test_window_runs_from_the_earliest_to_the_latest_time():
    assert window([HALF, EARLY]) == {"start": EARLY, "end": HALF, "seconds": 0.5,
                                     "text": "0.5 seconds on 2026-04-12"}
    found = window([LATE, HALF, None, "not a time", EARLY])
    assert (found["start"], found["end"], found["seconds"]) == (EARLY, LATE, 1.0)
    assert window([None, ""]) is None


def test_instant_orders_by_time_and_puts_unreadable_last():
    assert sorted([LATE, "garbage", HALF, EARLY], key=instant) == [EARLY, HALF, LATE, "garbage"]
    assert parse_time(12) is None and parse_time("2026-04-12T14:00:00") == parse_time(EARLY)


def finding(number: int, time: str | None) -> dict:
    return {"id": f"id{number}", "number": f"F{number}", "anchor": f"f-id{number}",
            "severity": "high", "category": "exfiltration", "step": None, "title": f"T{number}",
            "time": time, "links": []}


def test_declaration_lines_are_in_time_then_finding_order():
    lines = finding_lines([finding(2, EARLY), finding(10, EARLY), finding(3, HALF),
                           finding(4, None)], {})
    assert [line["what"] for line in lines] == ["T4", "T2", "T10", "T3"]
