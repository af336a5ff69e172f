"""What the text inside an OpenAI Codex CLI rollout says: user-role fragments, tool outputs,
and the approval a turn's policy gives.

Codex puts more than the human's words in the user role: the environment it runs in
(`<environment_context>`), the project's AGENTS.md (`<user_instructions>`, later
`# AGENTS.md instructions for DIR` with `<INSTRUCTIONS>`), a command the human ran with `!`
(`<user_shell_command>`), interruption notes (`<turn_aborted>`) and other wrappers. Codex
itself tells them apart structurally: a fragment that is one whole `<tag>...</tag>` element
is context it injected, not typed text. Tool outputs are text, or (shell, before 0.4x) a JSON
text `{"output": ..., "metadata": {"exit_code": N}}`; a call the human refused is answered
`rejected by user` (earlier `exec command rejected by user` / `patch rejected by user`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .common import text_of

_INSTRUCTIONS = re.compile(r"\s*<user_instructions>\s*(.*?)\s*</user_instructions>\s*", re.S)
_AGENTS = re.compile(r"\s*# AGENTS\.md instructions for ([^\n]*)\n+<INSTRUCTIONS>\n?(.*?)\n?"
                     r"</INSTRUCTIONS>\s*", re.S)
_SHELL = re.compile(r"\s*<user_shell_command>\s*<command>\n?(.*?)\n?</command>\s*"
                    r"(?:<result>\n?(.*?)\n?</result>\s*)?</user_shell_command>\s*", re.S)
_ELEMENT = re.compile(r"\s*<([A-Za-z_][\w.-]*)(?:\s[^>]*)?>.*</\1>\s*", re.S)
_ENV_FIELD = re.compile(r"<(cwd|approval_policy|sandbox_mode)>\s*(.*?)\s*</\1>", re.S)
_ENV_LINE = re.compile(r"^\s*(Current working directory|Approval policy|Sandbox mode):[ \t]*(.*?)"
                       r"\s*$", re.M)                  # the 2025 layout's plain lines
_ENV_KEYS = {"Current working directory": "cwd", "Approval policy": "approval_policy",
             "Sandbox mode": "sandbox_mode"}
_EXIT = re.compile(r"^(?:Exit code: |Process exited with code )(-?\d+)\s*$", re.M)
REJECTIONS = ("rejected by user", "exec command rejected by user", "patch rejected by user",
              "aborted")


@dataclass(frozen=True)
class Fragment:
    """One user-role text fragment: a turn kind, instructions, or a human's own command."""

    kind: str                   # a turn kind, "instructions" or "command"
    text: str
    path: str | None = None     # instructions: the AGENTS.md the fragment names
    result: str | None = None   # command: what it printed


def fragment(text: str) -> Fragment:
    """What a user-role text fragment is, read the way Codex reads it."""
    match = _INSTRUCTIONS.fullmatch(text)
    if match:
        return Fragment("instructions", match.group(1))
    match = _AGENTS.fullmatch(text)
    if match:
        folder = match.group(1).strip().rstrip("/\\")
        return Fragment("instructions", match.group(2), path=f"{folder}/AGENTS.md")
    match = _SHELL.fullmatch(text)
    if match:
        return Fragment("command", match.group(1), result=match.group(2))
    if _ELEMENT.fullmatch(text):
        return Fragment("system-injected", text)
    return Fragment("human-typed", text)


def environment(text: str) -> dict[str, str]:
    """cwd / approval_policy / sandbox_mode from an `<environment_context>` fragment."""
    if "<environment_context>" not in text:
        return {}
    fields = {_ENV_KEYS[key]: value for key, value in _ENV_LINE.findall(text) if value}
    fields.update((key, value) for key, value in _ENV_FIELD.findall(text) if value)
    return fields


def content_texts(content: Any) -> list[str]:
    """The text items of a message's content (input_text, output_text, text), in order."""
    if isinstance(content, str):
        return [content]
    texts = []
    for item in content if isinstance(content, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            texts.append(item["text"])
    return texts


@dataclass(frozen=True)
class Output:
    text: str | None
    is_error: bool | None
    rejected: bool


def read_output(output: Any) -> Output:
    """A function_call_output / custom_tool_call_output payload as text, error, refusal."""
    success = None
    if isinstance(output, dict):                 # {content, success} as the API is sent it
        success = output.get("success")
        output = output.get("content", output.get("output"))
    text = output if isinstance(output, str) else text_of(output)
    if text is None:
        return Output(None, None if success is None else not success, False)
    exit_code = None
    decoded = _json_object(text)
    if decoded is not None and isinstance(decoded.get("output"), str):
        text = decoded["output"]
        metadata = decoded.get("metadata")
        exit_code = metadata.get("exit_code") if isinstance(metadata, dict) else None
    else:
        match = _EXIT.search(text[:2000])
        exit_code = int(match.group(1)) if match else None
    rejected = text.strip() in REJECTIONS
    if success is not None and not isinstance(success, bool):
        success = None
    if isinstance(exit_code, int) and not isinstance(exit_code, bool):
        is_error = exit_code != 0
    else:
        is_error = (not success) if success is not None else False
    return Output(text, is_error or rejected, rejected)


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def sandbox_mode(policy: Any) -> str | None:
    """The sandbox mode of a turn_context `sandbox_policy` ({"mode": ...} or {"type": ...})."""
    if isinstance(policy, str):
        return policy
    if isinstance(policy, dict):
        for key in ("mode", "type"):
            if isinstance(policy.get(key), str):
                return policy[key]
    return None


def policy_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def policy_approval(approval: str | None, sandbox: str | None) -> str | None:
    """`auto-approved` when the policy in force lets Codex run a call without asking anyone:
    approval `never`, or no sandbox at all (`danger-full-access`) under `on-request` /
    `on-failure`. Under any other policy Codex may or may not have asked (unknown)."""
    if approval == "never":
        return "auto-approved"
    if sandbox == "danger-full-access" and approval in ("on-request", "on-failure"):
        return "auto-approved"
    return None


def workdir(arguments: Any) -> str | None:
    """The `workdir` a shell call names, when its arguments are a JSON object."""
    if isinstance(arguments, str):
        arguments = _json_object(arguments.strip())
    if isinstance(arguments, dict) and isinstance(arguments.get("workdir"), str):
        return arguments["workdir"] or None
    return None
