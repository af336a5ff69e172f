"""The report's charts as inline SVG: the step timeline and the drift metrics.

Charts are drawn from the same data the tables show (no second source of truth) and contain
no script, no external reference and no evidence text outside escaped `<text>`/`<title>`.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from .escaping import shorten
from .facts import PHASE_ORDER, parse_time
from .svg import Svg

PHASE_COLOURS = {"enumeration": "#4e79a7", "scope creep": "#f28e2b", "exfiltration": "#e15759",
                 "persistence": "#b07aa1", "other": "#9c9c9c"}
SERIES_COLOURS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                  "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac")
TICK_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
              43200, 86400, 172800, 604800)
WIDTH, LEFT, RIGHT, LANE, TOP = 720.0, 118.0, 18.0, 30.0, 14.0
LABEL_KEYS = ("agent_id", "agent", "week", "period")


def _tick_step(span: float, most: int = 8) -> int:
    return next((s for s in TICK_STEPS if span / s <= most), TICK_STEPS[-1])


def _clock(seconds: float, step: int) -> str:
    seconds = int(seconds) % 86400
    text = f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"
    return text + f":{seconds % 60:02d}" if step < 60 else text


def timeline_chart(points: Sequence[Mapping[str, Any]], lanes: Sequence[str], label: str,
                   colours: Mapping[str, str] | None = None) -> str | None:
    """Markers on a time axis, one lane per group. Each point: time, lane, mark, anchor, title.

    Returns None when fewer than one point has a readable time.
    """
    timed = [(parse_time(p.get("time")), p) for p in points]
    timed = [(t, p) for t, p in timed if t is not None]
    if not timed:
        return None
    colours = colours or {}
    used = [lane for lane in lanes if any(p["lane"] == lane for _, p in timed)]
    first = min(t for t, _ in timed)
    span = max(max((t - first).total_seconds() for t, _ in timed), 1.0)
    plot = WIDTH - LEFT - RIGHT
    height = TOP + LANE * len(used) + 40
    svg = Svg(WIDTH, height, label, "th-chart th-timeline")
    for row, lane in enumerate(used):
        y = TOP + LANE * row + LANE / 2
        svg.add("line", x1=LEFT, y1=y, x2=WIDTH - RIGHT, y2=y, stroke="#dddddd")
        svg.text(LEFT - 8, y + 3.5, shorten(lane, 18), size=9.5, anchor="end")
    _axis(svg, first, span, plot, TOP + LANE * len(used))
    last_x: dict[str, float] = {}
    bump: dict[str, int] = {}
    for moment, point in sorted(timed, key=lambda tp: (tp[0], str(tp[1].get("mark")))):
        lane = point["lane"]
        x = LEFT + plot * (moment - first).total_seconds() / span
        crowded = x - last_x.get(lane, -100.0) < 13
        bump[lane] = (bump.get(lane, 0) + 1) % 3 if crowded else 0
        last_x[lane] = x
        y = TOP + LANE * used.index(lane) + LANE / 2 + (0, -8, 8)[bump[lane]]
        opened = svg.open_link(f"#{point['anchor']}" if point.get("anchor") else None,
                               point.get("title"))
        svg.add("circle", cx=x, cy=y, r=7.0, fill=colours.get(lane, "#4e79a7"),
                stroke="#ffffff", stroke_width=1.0)
        svg.text(x, y + 3, shorten(str(point.get("mark", "")), 3), size=7.5, anchor="middle",
                 fill="#ffffff", weight="bold")
        svg.close_link(opened)
    return svg.render()


def _axis(svg: Svg, first: Any, span: float, plot: float, y: float) -> None:
    step = _tick_step(span)
    origin = first.hour * 3600 + first.minute * 60 + first.second + first.microsecond / 1e6
    tick = (int(origin) // step + 1) * step if origin % step else int(origin)
    svg.add("line", x1=LEFT, y1=y + 4, x2=WIDTH - RIGHT, y2=y + 4, stroke="#666666")
    while tick - origin <= span + 1e-9:
        x = LEFT + plot * (tick - origin) / span
        svg.add("line", x1=x, y1=y + 4, x2=x, y2=y + 8, stroke="#666666")
        svg.text(x, y + 19, _clock(tick, step), size=8.5, anchor="middle", fill="#444")
        tick += step
    svg.text(LEFT, y + 34, f"time (UTC) from {first.strftime('%Y-%m-%d %H:%M:%S')}", size=8.5,
             fill="#444")


def step_timeline(trace: Mapping[str, Any]) -> str | None:
    """The escalation arc of one trace: each step on its phase's lane."""
    points = [{"time": row.get("time"), "lane": row["phase"], "mark": row.get("index"),
               "anchor": row["anchor"],
               "title": f"step {row.get('index')}: {row.get('tool')} ({row['phase']})"}
              for row in trace["shown"]]
    return timeline_chart(points, PHASE_ORDER, f"Steps of session {trace.get('session')} "
                          "by phase over time", PHASE_COLOURS)


def finding_timeline(findings: Sequence[Mapping[str, Any]]) -> str | None:
    """Findings over time by category, when there is no trace to draw."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding["category"]] = counts.get(finding["category"], 0) + 1
    lanes = sorted(counts, key=lambda c: (-counts[c], c))[:8]
    colours = {lane: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, lane in enumerate(lanes)}
    points = [{"time": f.get("time"), "lane": f["category"], "mark": f["number"][1:],
               "anchor": f["anchor"], "title": f"{f['number']}: {f.get('title')}"}
              for f in findings if f["category"] in lanes][:400]
    return timeline_chart(points, lanes, "Findings by category over time", colours)


def bar_chart(rows: Sequence[Mapping[str, Any]], series: Sequence[str], label: str
              ) -> str | None:
    """Horizontal stacked bars: rows of {label, values: {series: number}}."""
    rows = [r for r in rows if any(r["values"].get(s) for s in series)][:40]
    if not rows:
        return None
    biggest = max(sum(float(r["values"].get(s) or 0) for s in series) for r in rows) or 1.0
    plot = WIDTH - LEFT - RIGHT - 40
    height = TOP + 22 * len(rows) + 34
    svg = Svg(WIDTH, height, label, "th-chart th-bars")
    colours = {s: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, s in enumerate(series)}
    for index, row in enumerate(rows):
        y = TOP + 22 * index
        svg.text(LEFT - 8, y + 12, shorten(str(row["label"]), 20), size=9, anchor="end")
        x = LEFT
        for name in series:
            value = float(row["values"].get(name) or 0)
            if value <= 0:
                continue
            width = plot * value / biggest
            svg.add("rect", x=x, y=float(y + 2), width=width, height=14.0, fill=colours[name])
            x += width
        total = sum(float(row["values"].get(s) or 0) for s in series)
        svg.text(x + 4, y + 12, f"{total:g}", size=8.5, fill="#444")
    legend_y = TOP + 22 * len(rows) + 16
    x = LEFT
    for name in series:
        svg.add("rect", x=x, y=float(legend_y - 8), width=9.0, height=9.0, fill=colours[name])
        svg.text(x + 12, legend_y, shorten(name, 22), size=8.5)
        x += 14 + 6.2 * min(len(name), 22) + 10
    return svg.render()


def drift_rows(metrics: Any) -> list[dict[str, Any]]:
    """Drift metrics as chart rows: one per agent/week, values by detection type."""
    if isinstance(metrics, Mapping):
        found = next((metrics[k] for k in ("weekly", "rows", "agents", "metrics")
                      if isinstance(metrics.get(k), list)), [metrics])
    else:
        found = metrics if isinstance(metrics, list) else []
    rows = []
    for position, row in enumerate(r for r in found if isinstance(r, Mapping)):
        label = " ".join(str(row[k]) for k in LABEL_KEYS if row.get(k)) or f"row {position + 1}"
        by_type = row.get("drift_events_by_type") or row.get("by_type")
        if isinstance(by_type, Mapping):
            values = {str(k): v for k, v in by_type.items() if isinstance(v, (int, float))}
        else:
            total = row.get("drift_events_total")
            values = {"drift events": total} if isinstance(total, (int, float)) else {}
        rows.append({"label": label, "values": values, "scalars": _flat(row)})
    return rows


def _flat(row: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A metrics row as (name, text) pairs: one level of nesting, lists shortened."""
    out: list[tuple[str, str]] = []
    for key, value in sorted(row.items()):
        if key in LABEL_KEYS + ("drift_events_by_type", "by_type") or value in (None, "", [],
                                                                                 {}):
            continue
        if isinstance(value, Mapping):
            out += [(f"{key}.{k}", str(v)) for k, v in sorted(value.items())
                    if v is not None and not isinstance(v, (Mapping, list))]
        elif isinstance(value, list):
            items = [" ".join(str(v) for v in item.values()) if isinstance(item, Mapping)
                     else str(item) for item in value[:3]]
            out.append((key, "; ".join(items) + ("; ..." if len(value) > 3 else "")))
        else:
            out.append((key, str(value)))
    return out


def drift_chart(rows: Sequence[Mapping[str, Any]]) -> str | None:
    series = sorted({name for row in rows for name, value in row["values"].items() if value})
    return bar_chart(rows, series, "Drift events per agent and period by detection type")
