"""Evidence refs as links: every sentence of the report points at the record that supports it.

`Citations` gives each evidence file a short code (E1, E2... in the order of the evidence
list, spelled out in the preservation log), hands out a stable anchor per (sha256, locator)
and remembers which refs the report cites, so the appendix holds exactly the excerpts the
text links to (up to a cap; beyond it a ref is still named, just not excerpted).
"""

from __future__ import annotations

import posixpath
from typing import Any, Iterable, Mapping

from ..model import short_hash
from ..pipeline import locator_key

MAX_EXCERPTS = 600


def anchor_of(sha256: str, locator: str) -> str:
    return "ev-" + short_hash(sha256, locator, length=12)


def file_name(path: str) -> str:
    """The last part of an evidence path (archive members keep their member name)."""
    inner = path.rsplit("!", 1)[-1]
    return posixpath.basename(inner.replace("\\", "/")) or inner


class Citations:
    def __init__(self, evidence: Iterable[Mapping[str, Any]]):
        listed = list(evidence)
        self.files = {e["sha256"]: e for e in listed}
        self.codes = {e["sha256"]: f"E{i}" for i, e in enumerate(listed, start=1)}
        self.cited: dict[tuple[str, str], None] = {}
        self.issued: list[dict[str, Any]] = []

    def cite(self, refs: Iterable[Mapping[str, Any]] | None, limit: int | None = None,
             excerpt: int | None = None) -> list[dict[str, Any]]:
        """Link data for the given refs (sorted, deduplicated).

        The first `excerpt` refs (all when None) get an appendix excerpt; the others link to
        one only when some other sentence already brought it into the appendix.
        """
        unique = sorted({(r["sha256"], r["locator"]) for r in refs or ()
                         if r.get("sha256") and r.get("locator")},
                        key=self._order)
        shown = unique if limit is None else unique[:limit]
        links = [self._link(sha, locator, excerpt is None or n < excerpt)
                 for n, (sha, locator) in enumerate(shown)]
        if limit is not None and len(unique) > limit:
            links.append({"more": len(unique) - limit})
        return links

    def _order(self, key: tuple[str, str]) -> tuple:
        sha, locator = key
        path = self.files.get(sha, {}).get("path", "")
        return (path, sha, locator_key(locator))

    def _link(self, sha: str, locator: str, register: bool = True) -> dict[str, Any]:
        key = (sha, locator)
        if register and key not in self.cited and len(self.cited) < MAX_EXCERPTS:
            self.cited[key] = None
        entry = self.files.get(sha)
        link = {"sha256": sha, "short": sha[:12], "locator": locator,
                "code": self.codes.get(sha, "E?"),
                "file": file_name(entry["path"]) if entry else "(file not in this case)",
                "anchor": None}
        self.issued.append(link)
        return link

    def finish(self) -> list[tuple[str, str]]:
        """Point every issued link at its excerpt when the appendix has one; the keys."""
        for link in self.issued:
            key = (link["sha256"], link["locator"])
            link["anchor"] = anchor_of(*key) if key in self.cited else None
        return self.appendix_keys()

    def appendix_keys(self) -> list[tuple[str, str]]:
        return sorted(self.cited, key=self._order)
