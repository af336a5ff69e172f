"""Secrets in what an agent handled: tool arguments, tool output, runtime config, prompts.

Finds AWS access key ids and secret keys, bearer tokens, private key blocks, password
assignments, vendor token shapes (GitHub, Slack, OpenAI/Anthropic style) and high-entropy
values under key-like names. A found secret is only ever shown as `redacted` (its first four
characters and an ellipsis) and `digest` (a sha256 prefix): the clear value never leaves this
module in anything tracehound writes.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator

from ..model import HeldText

# One cheap test first: text without any of these cannot hold a secret we look for.
_MAYBE = re.compile(r"(?i)akia|asia|bearer|begin|pass|pwd|secret|token|key|auth|cred|gh[pousr]_"
                    r"|xox|sk-")
_TEXT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private-key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]*?"
                               r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)")),
    ("aws-access-key-id", re.compile(r"\b((?:AKIA|ASIA)[0-9A-Z]{16})\b")),
    ("aws-secret-access-key", re.compile(
        r"(?i)aws_?secret_?(?:access_?)?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])")),
    ("bearer-token", re.compile(r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{16,}=*)")),
    ("github-token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,})\b")),
    ("slack-token", re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]{10,})")),
    ("api-key", re.compile(r"\b(sk-(?:ant-)?[A-Za-z0-9_-]{20,})")),
    # DB_PASSWORD / db-password / password: a name ending in the word, however prefixed
    ("password", re.compile(r"(?i)(?<![a-z0-9])(?:[a-z0-9]+[_-])*(?:password|passwd|pwd)\b"
                            r"[\"']?\s*[:=]\s*[\"']?([^\s\"',;&]{4,})")),
    ("high-entropy-secret", re.compile(
        r"(?i)\b[a-z0-9_.-]*(?:api[_-]?key|secret|token|access[_-]?key|private[_-]?key|"
        r"client[_-]?secret|credential)[a-z0-9_.-]*[\"']?\s*[:=]\s*[\"']?"
        r"([A-Za-z0-9/+=_\-.]{16,})")),
)
_PASSWORD_KEY = re.compile(r"(?i)^(?:.*[_-])?(?:password|passwd|pwd|passphrase)$")
_SECRET_KEY = re.compile(r"(?i)(?:api[_-]?key|secret|token|access[_-]?key|private[_-]?key|"
                         r"client[_-]?secret|credential|authorization)")
_PLACEHOLDER = re.compile(r"(?i)^(?:\*+|x+|redacted|<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|none|null|"
                          r"\$[A-Z_][A-Z0-9_]*|%[A-Z_]+%|\[redacted\]|\.\.\.|…)$")
# Documentation and placeholder values: the keys vendors print in their docs (AWS's
# AKIAIOSFODNN7EXAMPLE), template fill-ins, runs of one character. Not secrets.
_DOCUMENTATION = re.compile(
    r"(?i)example|sample|dummy|placeholder|changeme|change[_-]me|your[_-]?(?:own[_-]?)?"
    r"(?:api[_-]?)?(?:key|token|secret|password|pass)|insert[_-]?(?:your|key|token)|"
    r"replace[_-]?(?:me|this|with)|x{5,}|\*{4,}|<[^>]{1,40}>|"
    r"^(?:sk-|ghp_|xox[abposr]-)?(?:\.{3}|…)|0123456789|1234567890|abcdefghij")
_AWS_SECRET_KEY = re.compile(r"(?i)aws_?secret")
_AWS_SECRET_VALUE = re.compile(r"^[A-Za-z0-9/+=]{40}$")
MIN_ENTROPY = 3.5


@dataclass(frozen=True)
class SecretHit:
    kind: str
    where: str                   # path inside the record: "arguments.headers.Authorization"
    _value: str

    @property
    def redacted(self) -> str:
        return redact(self._value)

    @property
    def digest(self) -> str:
        return digest(self._value)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "redacted": self.redacted,
                "sha256_prefix": self.digest}

    def __repr__(self) -> str:   # never print the value, even in a traceback
        return f"SecretHit({self.kind!r}, {self.where!r}, {self.redacted!r}, {self.digest!r})"


def redact(value: str) -> str:
    return value[:4] + "…"


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:12]


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def is_placeholder(value: str) -> bool:
    """A documentation or template value, not a live secret: a known documentation key, a
    fill-in, or a value that is mostly one character (ghp_AAAA...)."""
    value = value.strip()
    if _PLACEHOLDER.match(value) or _DOCUMENTATION.search(value):
        return True
    body = value.split("_", 1)[-1] if value[:4].lower() in ("ghp_", "gho_", "ghs_") else value
    return len(body) >= 8 and max(body.count(c) for c in set(body)) >= 0.6 * len(body)


def _plausible(kind: str, value: str) -> bool:
    if is_placeholder(value):
        return False
    if kind == "high-entropy-secret":
        return _secret_like(value)
    if kind == "password":
        return _password_like(value)
    return True


# Code and text that follow `token =` / `secret:` without being one: a flag, a path, a dotted
# name (document.cookie.split, process.env.API_TOKEN), a call.
_CODE = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)+(?:\(.*)?"
                   r"|[A-Za-z_$][A-Za-z0-9_$]*\(.*")
# Passwords no one keeps: a common word with digits or symbols after it (test fixtures).
_DUMMY_PASSWORD = re.compile(
    r"(?i)(?:secret|passw(?:or|0)d|pass|pwd|test(?:ing)?|admin|root|demo|user|qwerty|letmein|"
    r"welcome|default|guest|changeit|foobar|foo)[0-9!@#$%^&*._-]{0,6}")
# A password hash (crypt formats, $y$ yescrypt, $6$ sha512, $2b$ bcrypt, $argon2id$): not the
# password itself.
_PASSWORD_HASH = re.compile(r"^\$(?:[0-9a-z]{1,2}|argon2(?:id|i|d)|scrypt|pbkdf2[-_a-z0-9]*)\$")


def _secret_like(value: str) -> bool:
    """A value after a secret's name that could be one: not a flag, a path or code, letters
    and digits both, entropy at least MIN_ENTROPY."""
    if value[:1] in "-/." or _CODE.fullmatch(value):
        return False
    if not (re.search(r"\d", value) and re.search(r"[A-Za-z]", value)):
        return False
    return entropy(value) >= MIN_ENTROPY


def _password_like(value: str) -> bool:
    """A value after `password:` that could be one: not a word of prose or code (`Stored`,
    `self.password`, `config.get(...)`, text in another script), at least 6 characters with
    a digit or a symbol in them."""
    if len(value) < 6 or len(set(value)) <= 2 or not value.isascii():
        return False
    if _DUMMY_PASSWORD.fullmatch(value) or _PASSWORD_HASH.match(value):
        return False                          # a test fixture's, or a hash
    if _CODE.fullmatch(value):
        return False                          # a dotted name or a call: code
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value) and not re.search(r"\d", value):
        return False                          # an identifier, not a value
    return bool(re.search(r"[\d\W_]", value))


def scan_text(text: str | HeldText, where: str) -> Iterator[SecretHit]:
    """The secrets in a text (a HeldText: those read while it was held)."""
    if not text:
        return
    if type(text) is HeldText:
        hits = text.secret_hits
    else:
        hits = _text_hits(text) if len(text) <= CACHED_TEXT else _find_in_text(text)
    for kind, value in hits:
        yield SecretHit(kind, where, value)


CACHED_TEXT = 4096


@lru_cache(maxsize=32768)           # tool output repeats; scan each distinct text once
def _text_hits(text: str) -> tuple[tuple[str, str], ...]:
    return _find_in_text(text)


# _MAYBE's words: `in` over the caseless text finds them many times faster than the
# case-blind regex does
_MAYBE_WORDS = ("akia", "asia", "bearer", "begin", "pass", "pwd", "secret", "token", "key",
                "auth", "cred", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "xox", "sk-")
# the only characters outside ASCII that a case-blind pattern matches to an ASCII letter
_FOLDS = (("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s"), ("\u212a", "k"))


def caseless(text: str) -> str:
    """The text lower-cased so that an ASCII word a case-blind (?i) pattern finds in it is
    found in the result by `in` (a prefilter: the result says where a regex may match)."""
    if not text.isascii():
        for odd, plain in _FOLDS:
            if odd in text:
                text = text.replace(odd, plain)
    return text.lower()


def _maybe(text: str) -> bool:
    """Whether _MAYBE finds something in the text (no text it finds anything in is missed)."""
    lowered = caseless(text)
    return any(map(lowered.__contains__, _MAYBE_WORDS))


def _find_in_text(text: str) -> tuple[tuple[str, str], ...]:
    if not _maybe(text):
        return ()
    taken: list[tuple[int, int]] = []
    found: list[tuple[str, str]] = []
    for kind, pattern in _TEXT_PATTERNS:
        for match in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            start, end = match.span(group)
            if any(s < end and start < e for s, e in taken):
                continue          # already reported as a more specific kind
            value = match.group(group)
            if _plausible(kind, value):
                taken.append((start, end))
                found.append((kind, value))
    return tuple(found)


def scan_value(value: Any, where: str, depth: int = 0) -> Iterator[SecretHit]:
    """Walk a decoded JSON value; key names decide for plain strings under secret-like keys."""
    if depth > 32:
        return
    if isinstance(value, str):
        yield from scan_text(value, where)
    elif isinstance(value, dict):
        flat = _flat_items(value)
        if flat is not None:
            yield from _flat_hits(where, flat)
            return
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(item, str):
                hits = list(scan_text(item, path))
                keyed = None if hits else _keyed_secret(str(key), item, path)
                yield from hits if keyed is None else (keyed,)
                continue
            yield from scan_value(item, path, depth + 1)
    elif isinstance(value, (list, tuple)):
        for position, item in enumerate(value):
            yield from scan_value(item, f"{where}[{position}]", depth + 1)


def _flat_items(value: dict) -> tuple[tuple[str, str], ...] | None:
    """The items of a small dict of text under text keys (most tool arguments), else None."""
    items = tuple(value.items())
    if len(items) > 8:
        return None
    for key, item in items:
        if type(key) is not str or type(item) is not str:
            return None
    return items


@lru_cache(maxsize=32768)           # traces repeat the same arguments: scan each set once
def _flat_hits(where: str, items: tuple[tuple[str, str], ...]) -> tuple[SecretHit, ...]:
    found: list[SecretHit] = []
    for key, item in items:
        path = f"{where}.{key}" if where else key
        hits = list(scan_text(item, path))
        keyed = None if hits else _keyed_secret(key, item, path)
        found += hits if keyed is None else [keyed]
    return tuple(found)


@lru_cache(maxsize=4096)
def _secret_key_kinds(key: str) -> tuple[bool, bool, bool]:
    """Whether a key name reads as an AWS secret, a password, or another secret's name."""
    return (bool(_AWS_SECRET_KEY.search(key)), bool(_PASSWORD_KEY.match(key)),
            bool(_SECRET_KEY.search(key)))


def _keyed_secret(key: str, value: str, path: str) -> SecretHit | None:
    aws, password, secret = _secret_key_kinds(key)
    if not (aws or password or secret):
        return None
    value = value.strip()
    if len(value) < 4 or is_placeholder(value):
        return None
    if aws and _AWS_SECRET_VALUE.match(value):
        return SecretHit("aws-secret-access-key", path, value)
    if password and _password_like(value):
        return SecretHit("password", path, value)
    if secret and len(value) >= 16 and _secret_like(value):
        return SecretHit("high-entropy-secret", path, value)
    return None


def scrub(text: str) -> str:
    """The text with every secret replaced by its redacted form and digest."""
    hits = _text_hits(text) if len(text) <= CACHED_TEXT else _find_in_text(text)
    if not hits:
        return text
    for _, value in sorted(set(hits), key=lambda h: -len(h[1])):
        text = text.replace(value, f"{redact(value)}[sha256:{digest(value)}]")
    return text


def scrub_json(value: Any, depth: int = 0) -> Any:
    """A decoded JSON value with every string scrubbed (dict keys too); other values as
    they are. What every rendering of a case passes its text through."""
    if isinstance(value, str):
        return scrub(value)
    if depth > 64:
        return value
    if isinstance(value, dict):
        return {scrub(k) if isinstance(k, str) else k: scrub_json(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub_json(v, depth + 1) for v in value]
    return value
