"""Making attacker-controlled text safe to show: HTML/SVG text, DOT labels, invisible characters.

Every string that comes from evidence may try to become markup (`<script>`, `onload=`), to hide
itself (zero-width characters) or to reorder what a reader sees (bidirectional overrides, the
"Trojan Source" trick). `visible` turns the hiding and reordering characters into a visible
`<U+202E>`-style marker and drops NUL and other C0 controls; `xml_text` then escapes for HTML,
XML and SVG (text and attribute values alike); `dot_label` escapes for a quoted Graphviz string.
"""

from __future__ import annotations

import re

# C0/C1 controls except tab and newline, bidi embeddings/overrides/isolates, marks that change
# direction, zero-width characters, the BOM, line/paragraph separators and interlinear marks.
_HIDING = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_DROPPED = frozenset("\x00")


def _marker(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _DROPPED:
        return ""
    return f"<U+{ord(char):04X}>"


def visible(text: str) -> str:
    """The text with hiding / reordering characters replaced by a visible `<U+XXXX>` marker.

    The markers contain `<` and `>`, so call this before escaping, never after.
    """
    return _HIDING.sub(_marker, text)


def xml_text(value: object) -> str:
    """Escape for HTML or SVG text and for quoted attribute values (after `visible`)."""
    text = visible("" if value is None else str(value))
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def dot_label(value: object, limit: int = 48) -> str:
    """A Graphviz double-quoted string body: no escape sequences dot would interpret."""
    text = visible("" if value is None else str(value))
    text = shorten(text, limit)
    return (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
            .replace("\r", " "))


def shorten(text: str, limit: int) -> str:
    """At most `limit` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "\u2026"
