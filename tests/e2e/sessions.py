"""Tiny builder of Claude Code session files, so an end-to-end test reads like the session it
checks:

    s = Session()
    s.human("Run the unit tests. Do not push anything.")
    s.call("Bash", {"command": "git push origin main"})
    case = s.analyze(tmp_path)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tracehound.pipeline import Options, analyze

CWD = "/home/dev/shop"


class Session:
    def __init__(self, cwd: str = CWD, session: str = "5b7e1c2a-0d4f-4a39-9c61-7f2e8d3b1a60"):
        self.cwd = cwd
        self.session = session
        self.lines: list[str] = []
        self.parent: str | None = None
        self.second = 0

    def _record(self, kind: str, content: Any, **extra: Any) -> None:
        uuid = f"{kind[0]}{len(self.lines):04d}"
        minute, second = divmod(self.second, 60)
        body = {"type": kind, "uuid": uuid, "parentUuid": self.parent,
                "sessionId": self.session, "cwd": self.cwd, "version": "2.0.31",
                "timestamp": f"2026-06-01T10:{minute:02d}:{second:02d}Z",
                "message": {"role": kind, "content": content}, **extra}
        if kind == "assistant":
            body["message"]["model"] = "claude-sonnet-4-5"
        self.lines.append(json.dumps(body))
        self.parent = uuid
        self.second += 7

    def human(self, text: str) -> "Session":
        self._record("user", text)
        return self

    def call(self, tool: str, arguments: dict[str, Any], result: str = "ok",
             is_error: bool = False) -> "Session":
        call_id = f"toolu_{len(self.lines):04d}"
        self._record("assistant", [{"type": "tool_use", "id": call_id, "name": tool,
                                    "input": arguments}])
        self._record("user", [{"type": "tool_result", "tool_use_id": call_id,
                               "content": result, "is_error": is_error}])
        return self

    def bash(self, command: str, result: str = "ok") -> "Session":
        return self.call("Bash", {"command": command}, result)

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.session}.jsonl"
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        return path

    def analyze(self, folder: Path) -> Any:
        return analyze([self.write(folder)], Options(reproducible=True))
