"""What the report must never claim, as data, and a checker for rendered reports.

The evidence of an agent incident shows actions. It does not show why a model changed its
plan, whether a person meant harm or made a setup error, that every transfer was logged, or
that the material would stand up in court. Each rule below names one such claim with the
patterns that would make it; `find_claims` runs them over the report's own prose, leaving
out quoted evidence (`code`, `pre`, `blockquote` and anything marked `class="q"`), which is
attacker-controlled and may say anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass(frozen=True)
class ClaimRule:
    key: str
    never_claim: str
    patterns: tuple[str, ...]

    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in self.patterns)


_ACTOR = r"\b(?:model|agent|llm|assistant)\b"
_DATA = r"(?:data|records?|objects?|files?|rows?|bytes|information|exports?)"
_MOVED = r"(?:exfiltrat\w*|egress\w*|transferred|stolen|taken|leaked|sent|copied out)"

CLAIM_RULES: tuple[ClaimRule, ...] = (
    ClaimRule("replan-motive", "why the model chose to replan (reasoning is partial)", (
        _ACTOR + r"[^.;]{0,80}\b(?:re-?plann?(?:ed|ing)|decided|chose|opted|wanted|intended|"
        r"meant|tried|sought)\b[^.;]{0,80}\b(?:because|since|due to|in order to|so as to|"
        r"so that|motivated by)\b",
        _ACTOR + r"(?:'s|\u2019s)? (?:motive|motivation|goal was|reasoning was|reason for)\b",
        r"\breason (?:why )?the (?:model|agent) (?:re-?planned|changed (?:its )?plan|decided|"
        r"chose)\b",
        _ACTOR + r" (?:re-?planned|changed (?:its )?plan) (?:because|to)\b",
        _ACTOR + r" hallucinat\w*",
    )),
    ClaimRule("malice-or-misconfiguration",
              "malice versus misconfiguration (for counsel and the fact-finder)", (
        r"\bmalic(?:e|ious(?:ly)?)\b",
        r"\b(?:deliberate(?:ly)?|intentional(?:ly)?|on purpose|rogue|sabotag\w*|bad faith|"
        r"nefarious)\b",
        r"\bmis-?configur\w*",
        r"\b(?:mistake|mistaken(?:ly)?|inadvertent(?:ly)?|accidental(?:ly)?|by accident|"
        r"innocent(?:ly)?|honest error)\b",
    )),
    ClaimRule("complete-exfiltration",
              "complete exfiltration enumeration (retention may be incomplete)", (
        r"\b(?:all|every|the entire|the complete|the full|the whole)\s+(?:of the\s+)?" + _DATA
        + r"\s+(?:that\s+)?(?:was\s+|were\s+)?" + _MOVED,
        r"\b(?:complete|full|exhaustive|entire)\s+(?:list|set|enumeration|account|inventory|"
        r"extent)\s+of\s+(?:the\s+)?(?:" + _MOVED + r"|data (?:taken|sent|stolen|lost)|"
        r"transfers)",
        r"\bno (?:other|further|additional|more) " + _DATA + r"\b[^.;]{0,40}\b(?:was|were)\s+"
        + _MOVED,
        r"\b(?:exfiltration|egress)\b[^.;]{0,40}\b(?:in full|fully (?:enumerated|accounted)|"
        r"(?:is|was) complete)\b",
        r"\bonly (?:these|those|the) (?:\w+ )?(?:files?|objects?) (?:were|was) " + _MOVED,
    )),
    ClaimRule("custody-admissibility",
              "chain-of-custody admissibility (a triage workbench, not records management)", (
        r"\bchain[\s-]+of[\s-]+custody\b",
        r"\badmissib\w*",
        r"\bforensically (?:sound|valid)\b",
        r"\bcourt[\s-]ready\b",
        r"\b(?:legally|evidentiary) (?:sufficient|valid|binding)\b",
        r"\btamper[\s-]?proof\b",
    )),
)

QUOTE_TAGS = frozenset({"code", "pre", "blockquote", "style", "script", "title", "svg"})
QUOTE_CLASS = "q"
_VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                   "source", "track", "wbr"})


class _ProseExtractor(HTMLParser):
    """Visible text of an HTML document outside quoted-evidence elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []          # per open element: is it (inside) a quote?
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        classes = next((v or "" for k, v in attrs if k == "class"), "").split()
        inside = bool(self.stack and self.stack[-1])
        self.stack.append(inside or tag in QUOTE_TAGS or QUOTE_CLASS in classes)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        return

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def report_prose(html: str) -> str:
    """The report's own words: visible text minus quoted evidence, whitespace collapsed."""
    parser = _ProseExtractor()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


def find_claims(text: str) -> list[tuple[str, str]]:
    """(rule key, matched words) for every forbidden claim in the text."""
    found = []
    for rule in CLAIM_RULES:
        for pattern in rule.compiled():
            found.extend((rule.key, m.group(0)) for m in pattern.finditer(text))
    return found
