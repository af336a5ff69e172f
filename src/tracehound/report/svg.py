"""A very small SVG writer for the report's pictures.

Every text node and attribute value goes through `xml_text`, so a label taken from evidence
can never become markup. Links are internal only (`#anchor`); anything else is dropped.
Numbers are rounded to two decimals so the output is byte-stable.
"""

from __future__ import annotations

import re

from .escaping import xml_text

FONT = "DejaVu Sans, sans-serif"
_ANCHOR = re.compile(r"^#[A-Za-z][A-Za-z0-9_-]*$")


def num(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _attrs(attrs: dict[str, object]) -> str:
    parts = []
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        shown = num(value) if isinstance(value, float) else value
        parts.append(f' {name}="{xml_text(shown)}"')
    return "".join(parts)


class Svg:
    """Collects elements; `render()` returns the SVG element as text."""

    def __init__(self, width: float, height: float, label: str, css_class: str):
        self.width, self.height = width, height
        self.label = label
        self.css_class = css_class
        self.items: list[str] = []

    def add(self, tag: str, text: str | None = None, **attrs: object) -> None:
        if text is None:
            self.items.append(f"<{tag}{_attrs(attrs)}/>")
        else:
            self.items.append(f"<{tag}{_attrs(attrs)}>{xml_text(text)}</{tag}>")

    def text(self, x: float, y: float, content: str, size: float = 10, anchor: str = "start",
             fill: str = "#222", weight: str | None = None) -> None:
        self.add("text", content, x=float(x), y=float(y), font_family=FONT,
                 font_size=float(size), text_anchor=anchor, fill=fill, font_weight=weight)

    def open_link(self, href: str | None, title: str | None = None) -> bool:
        """Start a link group to an internal anchor; returns False (no group) otherwise."""
        if not href or not _ANCHOR.match(href):
            return False
        self.items.append(f"<a{_attrs({'href': href})}>")
        if title:
            self.add("title", title)
        return True

    def close_link(self, opened: bool) -> None:
        if opened:
            self.items.append("</a>")

    def render(self) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="{xml_text(self.css_class)}" '
                f'width="{num(self.width)}" height="{num(self.height)}" '
                f'viewBox="0 0 {num(self.width)} {num(self.height)}" role="img" '
                f'aria-label="{xml_text(self.label)}">')
        return head + "".join(self.items) + "</svg>"
