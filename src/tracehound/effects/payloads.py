"""Fingerprints of sensitive content a session received, and outgoing text that carries it.

`Fingerprints` keeps, per session, hashes (never the text) of what the agent read from a
sensitive source, each tied to the step that read it:

- content: the 32-character blocks of the text at offsets 0, 32, 64, ... (fixed-anchor
  hashing), of its base64 encodings at the three byte alignments, and of its hex encoding;
- secrets: whole secret values (kind recognised by effects/secrets.py, or a one-token
  sensitive text such as a token file), by length.

`carried(text)` hashes every 32-character window of the outgoing text (and of the base64 and
hex runs in it, normalized: line breaks removed, URL-safe alphabet mapped, hex lower-cased)
and looks the hashes up.

Guarantee (tested): a run of 63 or more contiguous characters of fingerprinted content that
appears in the outgoing text, as is, base64-encoded (standard or URL-safe alphabet, any
alignment of the run inside the encoded blob, line breaks allowed) or hex-encoded (either
case), is reported; a run that long always covers one whole anchored block. Runs shorter
than 63 may be reported when they happen to cover a block. Blocks made of at most two
distinct characters (rules of dashes, padding) are not kept. A whole secret of 32+
characters is found anywhere (it is fingerprinted as content too); a shorter one when it
stands as its own token (delimited by white space, quotes or punctuation), as is or as the
base64 / hex form of such a token.

Memory: about 7 hash entries per 32 characters of content (content capped at
MAX_CONTENT characters per source); time: linear in the outgoing text.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from . import secrets

BLOCK = 32
MAX_CONTENT = 1 << 20            # characters fingerprinted per source
MIN_SECRET = 8
_FORMS = ("plain", "base64", "hex")
_WHAT = ("content", "secret")
_BASE64_LINES = re.compile(r"(?:[A-Za-z0-9+/_-]{16,}={0,2}[ \t]*\r?\n[ \t]*)+"
                           r"[A-Za-z0-9+/_-]{2,}={0,2}")
_URLSAFE_RUN = re.compile(r"[A-Za-z0-9+/_=-]{40,}")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{32,}")
_TOKEN = re.compile(r"[^\s\"'`<>]+")
_SUBTOKEN = re.compile(r"[^\s\"'`<>=:,;&()\[\]{}|]+")
_URLSAFE = str.maketrans("-_", "+/")


@dataclass(frozen=True, slots=True)
class PayloadHit:
    """Outgoing text carries content read at step `source` (`label`: what was read)."""

    source: str
    label: str | None
    form: str                   # plain / base64 / hex / file
    what: str                   # content / secret / file

    def to_json(self) -> dict[str, str]:
        out = {"source": self.source, "form": self.form, "what": self.what}
        if self.label:
            out["label"] = self.label
        return out


class Fingerprints:
    """Per-session fingerprints of sensitive content (hashes only; in memory only)."""

    def __init__(self) -> None:
        self._sources: list[tuple[str, str | None]] = []
        self._blocks: dict[int, int] = {}   # block hash -> source index << 3 | what << 2 | form
        self._secrets: dict[int, dict[int, int]] = {}  # length -> value hash -> source index

    def __len__(self) -> int:
        return len(self._blocks) + sum(len(v) for v in self._secrets.values())

    def __bool__(self) -> bool:
        return bool(self._blocks) or bool(self._secrets)

    def _source(self, source: str, label: str | None) -> int:
        self._sources.append((source, label))
        return len(self._sources) - 1

    def add_content(self, text: str, source: str, label: str | None = None) -> None:
        """Fingerprint sensitive content: its blocks, encodings and the secrets in it."""
        if not text:
            return
        text = text[:MAX_CONTENT]
        index = self._source(source, label)
        self._add_forms(text, index, 0)
        stripped = text.strip()
        if MIN_SECRET <= len(stripped) <= 200 and not re.search(r"\s", stripped):
            self._add_secret(stripped, index)
        for hit in secrets.scan_text(text, "payload"):
            self._add_secret(getattr(hit, "_value"), index)

    def add_secret(self, value: str, source: str, label: str | None = None) -> None:
        """Fingerprint one secret value."""
        if value and len(value) >= MIN_SECRET:
            self._add_secret(value, self._source(source, label))

    def _add_secret(self, value: str, index: int) -> None:
        self._secrets.setdefault(len(value), {}).setdefault(hash(value), index)
        if len(value) >= BLOCK:
            self._add_forms(value, index, 1)

    def _add_forms(self, text: str, index: int, what: int) -> None:
        """The blocks of the text, of its three base64 alignments and of its hex form."""
        self._add_blocks(text, (index << 3) | (what << 2) | 0)
        raw = text.encode("utf-8", "surrogatepass")
        for offset in range(3):
            self._add_blocks(base64.b64encode(raw[offset:]).decode("ascii"),
                             (index << 3) | (what << 2) | 1)
        self._add_blocks(raw.hex(), (index << 3) | (what << 2) | 2)

    def _add_blocks(self, text: str, code: int) -> None:
        blocks = self._blocks
        for start in range(0, len(text) - BLOCK + 1, BLOCK):
            block = text[start:start + BLOCK]
            if len(set(block)) > 2:
                blocks.setdefault(hash(block), code)

    # ------------------------------------------------------------------ matching

    def carried(self, text: str) -> tuple[PayloadHit, ...]:
        """The sensitive content `text` carries, one hit per source and form."""
        if not text or not self:
            return ()
        found: dict[tuple[int, str, str], None] = {}
        if self._blocks:
            codes = self._block_hits(text)
            for run in _encoded_runs(text):
                codes |= self._block_hits(run)
            for code in codes:
                found[(code >> 3, _FORMS[code & 3], _WHAT[(code >> 2) & 1])] = None
        if self._secrets:
            for index, form in self._secret_hits(text):
                found[(index, form, "secret")] = None
        hits = []
        for index, form, what in found:
            source, label = self._sources[index]
            hits.append(PayloadHit(source, label, form, what))
        return tuple(dict.fromkeys(sorted(hits, key=lambda h: (h.source, h.what, h.form))))

    def _block_hits(self, text: str) -> set[int]:
        if len(text) < BLOCK:
            return set()
        blocks = self._blocks
        windows = {hash(text[i:i + BLOCK]) for i in range(len(text) - BLOCK + 1)}
        return {blocks[h] for h in blocks.keys() & windows}

    def _secret_hits(self, text: str) -> Iterator[tuple[int, str]]:
        for token, form in _candidates(text):
            by_length = self._secrets.get(len(token))
            if by_length is not None:
                index = by_length.get(hash(token))
                if index is not None:
                    yield index, form


def _encoded_runs(text: str) -> Iterator[str]:
    """Base64 runs normalized (no white space, standard alphabet) and hex runs lower-cased,
    when they differ from the text as written."""
    for match in _BASE64_LINES.finditer(text):
        yield re.sub(r"\s+", "", match.group(0)).translate(_URLSAFE)
    for match in _URLSAFE_RUN.finditer(text):
        run = match.group(0)
        if "-" in run or "_" in run:
            yield run.translate(_URLSAFE)
    for match in _HEX_RUN.finditer(text):
        run = match.group(0)
        if run != run.lower():
            yield run.lower()


def _candidates(text: str) -> Iterator[tuple[str, str]]:
    """Tokens that could be a whole secret: as written, and the decoded forms of tokens
    that read as base64 or hex."""
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        yield from _token_forms(token, "plain")
        for decoded, form in _decoded(token):
            for inner in _TOKEN.finditer(decoded):
                yield from _token_forms(inner.group(0), form)


def _token_forms(token: str, form: str) -> Iterable[tuple[str, str]]:
    if len(token) >= MIN_SECRET:
        yield token, form
    for sub in _SUBTOKEN.finditer(token):
        piece = sub.group(0)
        if piece != token and len(piece) >= MIN_SECRET:
            yield piece, form


def _decoded(token: str) -> Iterator[tuple[str, str]]:
    if len(token) < 12:
        return
    if _HEX_RUN.fullmatch(token) and len(token) % 2 == 0:
        try:
            yield bytes.fromhex(token).decode("utf-8"), "hex"
        except (ValueError, UnicodeDecodeError):
            pass
    if re.fullmatch(r"[A-Za-z0-9+/_-]+={0,2}", token):
        normal = token.translate(_URLSAFE)
        try:
            yield base64.b64decode(normal + "=" * (-len(normal) % 4)).decode("utf-8"), "base64"
        except (binascii.Error, ValueError, UnicodeDecodeError):
            pass
