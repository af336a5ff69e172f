"""One session's steps in order -> StepEffects (docs/effects.md).

`SessionEffects(cwd, home, repo_root)` is fed every step of a session in order. It knows what
a single step cannot: the files the session wrote (with their content when the step held
it), so running a script it wrote is resolved to that content and a push or upload is
checked for what those files carry; the sensitive content it read (credential stores,
files outside the repository, files in which a secret was found, production downloads),
fingerprinted for the payload check; and where `cd` left the shell. A rejected or failed
step still gets its effects (the caller decides what they mean); only what it changed is
not remembered.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any

from . import secrets
from .command_run import code_paths, code_signals
from .commands import Classified, classify
from .kinds import Effect
from ..model import HeldText
from .paths import classify as classify_path, home_of
from .payloads import Fingerprints, PayloadHit
from .tools import tool_effects

NOT_DONE = frozenset({"rejected", "denied", "cancelled", "canceled", "blocked", "skipped",
                      "interrupted", "declined"})
SENSITIVE_PLACES = frozenset({"credential-store", "outside", "home-dotfile", "system"})
_SHELL_SCRIPT = (".sh", ".bash", ".zsh", ".command")
MAX_SCRIPT = 200_000


@dataclass(frozen=True, slots=True)
class StepEffects:
    effects: tuple[Effect, ...]
    fully_parsed: bool
    payload_hits: tuple[PayloadHit, ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"effects": [e.to_json() for e in self.effects],
                               "fully_parsed": self.fully_parsed}
        if self.payload_hits:
            out["payload_hits"] = [h.to_json() for h in self.payload_hits]
        if self.notes:
            out["notes"] = list(self.notes)
        return out


@dataclass(slots=True)
class Written:
    step: str
    content: str | None
    source: str | None = None       # the file it was made from (a copy, an extraction)


class SessionEffects:
    """The effects layer's view of one session, step by step."""

    def __init__(self, cwd: str | None = None, home: str | None = None,
                 repo_root: str | None = None):
        self.cwd = cwd
        self.home = home or home_of(cwd) or home_of(repo_root)
        self.repo_root = repo_root
        self.fingerprints = Fingerprints()
        self.written: dict[str, Written] = {}
        self.sensitive: dict[str, str] = {}           # path read -> step that read it
        self._unpushed: dict[str, str] = {}           # repo file written -> step

    def step(self, key: str, tool: str, arguments: Any, cwd: str | None = None,
             result_text: str | HeldText | None = None, outcome: str | None = None
             ) -> StepEffects:
        here = cwd or self.cwd
        result = tool_effects(tool, arguments, here, self.home, self.repo_root)
        effects, notes = result.effects, result.notes
        if result.runs:
            resolved, more = list(effects), list(notes)
            for path in result.runs:
                self._resolve_run(path, here, resolved, more)
            effects, notes = tuple(dict.fromkeys(resolved)), tuple(dict.fromkeys(more))
        hits: tuple[PayloadHit, ...] = ()
        if result.sends and (result.derived or any(e.kind == "credential-read" for e in effects)):
            hits = self._same_step_hits(key, result, effects)
        if (self.fingerprints or self.sensitive) and (result.sends_text or result.sends
                                                      or self._unpushed):
            hits = tuple(dict.fromkeys(hits + self._payload_hits(result, effects)))
        if (outcome or "").lower() not in NOT_DONE:
            self._remember(key, result, effects, result_text, arguments)
            if result.cwd:
                self.cwd = _join(here, result.cwd)
        return StepEffects(effects, result.fully_parsed, hits, notes)

    # ------------------------------------------------------------------ scripts

    def _resolve_run(self, path: str, here: str | None, effects: list[Effect],
                     notes: list[str]) -> None:
        written = self.written.get(path)
        if written is None:
            return
        position = next((i for i, e in enumerate(effects) if e.kind == "exec" and
                         e.object == path), None)
        resolved = self._script_effects(path, written, here)
        if position is not None:
            effects[position:position + 1] = resolved
        else:
            effects.extend(resolved)
        notes.append(f"runs {path}, written at step {written.step}: read from its content")

    def _script_effects(self, path: str, written: Written, here: str | None) -> list[Effect]:
        content = written.content
        if content is None and written.source is not None:
            return [Effect("opaque-execution", path, detail=f"runs a script made at step "
                                                            f"{written.step} from "
                                                            f"{written.source} (content not seen)")]
        if content is None:                 # a file edited in place: the repo's own code
            return [Effect("exec", path, detail=f"runs a script changed at step "
                                                f"{written.step} (whole content not seen)")]
        content = content[:MAX_SCRIPT]
        first = content.lstrip().splitlines()[0] if content.strip() else ""
        if path.endswith(_SHELL_SCRIPT) or ("sh" in first and first.startswith("#!")):
            inner = classify(content, here, self.home, self.repo_root)
            return [Effect("exec", path, detail=f"script written at step {written.step}")] + \
                list(inner.effects)
        found: list[Effect] = []
        for literal in code_paths(content):
            klass = classify_path(literal, here, self.repo_root, self.home)
            if klass.kind == "credential-store":
                found.append(Effect("credential-read", klass.path, where=klass.kind,
                                    detail=f"in {path}"))
        signals = code_signals(content)
        if signals:
            found.append(Effect("opaque-execution", path,
                                detail=f"script written at step {written.step} uses "
                                       + ", ".join(signals)))
        else:
            found.append(Effect("exec", path, detail=f"script written at step {written.step}"))
        return found

    # ------------------------------------------------------------------ payloads

    def _payload_hits(self, result: Classified,
                      effects: tuple[Effect, ...]) -> tuple[PayloadHit, ...]:
        hits: list[PayloadHit] = []
        for text in result.sends_text:
            hits += self.fingerprints.carried(text)
        for path in result.sends:
            if path in self.sensitive:
                hits.append(PayloadHit(self.sensitive[path], path, "file", "file"))
            written = self.written.get(path)
            if written is not None and written.content:
                hits += self.fingerprints.carried(written.content)
        if any(e.kind in ("vcs-push", "vcs-force-push") for e in effects):
            for path in self._unpushed:
                written = self.written.get(path)
                if written is not None and written.content:
                    hits += self.fingerprints.carried(written.content)
                if path in self.sensitive:
                    hits.append(PayloadHit(self.sensitive[path], path, "file", "file"))
        return tuple(dict.fromkeys(hits))

    def _same_step_hits(self, key: str, result: Classified,
                        effects: tuple[Effect, ...]) -> tuple[PayloadHit, ...]:
        """A file sent by the step that read it, or made from it (`zip -r x.zip ~/.ssh &&
        curl -F f=@x.zip ...`)."""
        read = {e.object for e in effects if e.kind == "credential-read"}
        made_of = dict(result.derived)
        hits = []
        for path in result.sends:
            source = path if path in read else made_of.get(path)
            if source in read:
                hits.append(PayloadHit(key, source, "file", "file"))
            elif source in self.sensitive:
                hits.append(PayloadHit(self.sensitive[source], source, "file", "file"))
        return tuple(hits)

    # ------------------------------------------------------------------ memory

    def _remember(self, key: str, result: Classified, effects: tuple[Effect, ...],
                  result_text: str | HeldText | None, arguments: Any) -> None:
        made_from = dict(result.derived)
        for path, content in result.writes:
            self.written[path] = Written(key, content, made_from.get(path))
            if classify_path(path, self.cwd, self.repo_root, self.home).kind in (
                    "repo", "credential-store", "persistence"):
                self._unpushed[path] = key
        sensitive = []
        for effect in effects:
            if effect.kind in _PUSHES:
                self._unpushed.clear()
            elif effect.kind in _READS and _sensitive(effect):
                sensitive.append(effect)
        text = result_text if isinstance(result_text, (str, HeldText)) and result_text \
            else None
        found = list(secrets.scan_text(text, "result")) if text else []
        if text and (sensitive or found):
            label = sensitive[0].object if sensitive else "output holding a secret"
            self.fingerprints.add_content(str(text), key, label)
        for effect in sensitive:
            if effect.object and effect.kind in ("credential-read", "file-read"):
                self.sensitive.setdefault(effect.object, key)
        for made, source in result.derived:
            if source in self.sensitive:
                self.sensitive.setdefault(made, self.sensitive[source])
        for hit in found:
            self.fingerprints.add_secret(getattr(hit, "_value"), key, hit.kind)
        given = secrets.scan_text(arguments, "arguments") if isinstance(arguments, str) else \
            secrets.scan_value(arguments, "arguments")
        for hit in given:
            self.fingerprints.add_secret(getattr(hit, "_value"), key, hit.kind)


_PUSHES = frozenset({"vcs-push", "vcs-force-push"})
_READS = frozenset({"credential-read", "file-read", "cloud-read", "download"})


def _sensitive(effect: Effect) -> bool:
    """A read whose content is sensitive: a credential store, a file outside the repository,
    a production download."""
    if effect.kind == "credential-read":
        return True
    if effect.kind == "file-read":
        return effect.where in SENSITIVE_PLACES
    return effect.kind in ("cloud-read", "download") and effect.production


def _join(base: str | None, inner: str) -> str:
    if base is None or inner.startswith(("/", "~", "$")) or inner[1:3] in (":\\", ":/"):
        return inner
    return posixpath.normpath(posixpath.join(base, inner))
