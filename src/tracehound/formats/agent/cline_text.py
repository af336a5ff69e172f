"""The text conventions of Cline and Roo Code task histories.

Both runtimes talk to the model in plain text as much as in structure:
- XML-style tool use inside assistant text: `<execute_command><command>npm test</command>
  </execute_command>`; a parameter's value is the text between its tags (for `content` and
  `diff` up to the last closing tag, as the runtimes read them); Roo Code's `<args>` holds
  nested elements (`<file><path>...</path></file>`), read here as nested values;
- tool results as user text under a header `[read_file for 'src/a.py'] Result:`, and
  `Tool [read_file] was not executed because ...` for a call the runtime refused to run;
- the human's words inside wrappers: `<task>` (the first message), `<feedback>`, `<answer>`,
  `<user_message>` (after `[TASK RESUMPTION]`), `<user_input>`;
- `<environment_details>` the runtime appends to each user message, with the workspace
  folder, the time and (Roo Code) the mode and model.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any, Iterator

from ..times import format_utc

XML_TOOLS = frozenset({
    # Cline
    "execute_command", "read_file", "write_to_file", "replace_in_file", "search_files",
    "list_files", "list_code_definition_names", "browser_action", "use_mcp_tool",
    "access_mcp_resource", "ask_followup_question", "plan_mode_respond", "attempt_completion",
    "new_task", "load_mcp_documentation", "condense", "summarize_task", "report_bug",
    "new_rule", "web_fetch", "web_search", "use_skill",
    # Roo Code
    "apply_diff", "insert_content", "search_and_replace", "search_replace", "edit_file",
    "apply_patch", "codebase_search", "switch_mode", "update_todo_list", "fetch_instructions",
    "run_slash_command", "generate_image", "simple_read_file", "read_command_output", "skill",
})
LAST_CLOSE = ("content", "diff")             # values that may hold their own closing tag
_OPEN = re.compile(r"<(" + "|".join(sorted(XML_TOOLS, key=len, reverse=True)) + r")>")
_THINKING = re.compile(r"<thinking>.*?(?:</thinking>|$)", re.S)
_PARAM = re.compile(r"\s*<([A-Za-z_][\w-]*)>")
_ELEMENT = re.compile(r"<([A-Za-z_][\w-]*)>(.*?)</\1>", re.S)
HEADER = re.compile(r"\[([A-Za-z_][\w-]*)(.*?)\] Result:[ \t]*\n?", re.S)
_NOT_RUN = re.compile(r"Tool \[([A-Za-z_][\w-]*)\] was not executed")   # the runtime refused it
_ARG = re.compile(r"^ (?:for|to|in) '(.*)'", re.S)
_HUMAN = re.compile(r"<(feedback|answer|user_message|user_input)(?:\s[^>]*)?>\n?(.*?)\n?</\1>",
                    re.S)
_TASK = re.compile(r"\s*<task>\n?(.*?)\n?</task>\s*", re.S)
_WORKSPACE = re.compile(r"# Current (?:Working|Workspace) Directory \((.+?)\) Files")
_ISO_TIME = re.compile(r"Current time in ISO 8601 UTC format: (\S+)")
_LOCAL_TIME = re.compile(r"# Current Time\n(\d{1,2}/\d{1,2}/\d{4}, \d{1,2}:\d{2}:\d{2} [AP]M)"
                         r"(?: \(([^,()]*), UTC([+-]\d{1,2}):?(\d{2})\))?")
_MODEL = re.compile(r"<model>(.*?)</model>")
DENIED = "The user denied this operation"
INTERRUPTED = "interrupted before this tool call could be completed"


def xml_calls(text: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(tool, parameters, the text before it) for each XML tool use in assistant text."""
    hidden = [m.span() for m in _THINKING.finditer(text)]
    position, said_from = 0, 0
    while True:
        match = _OPEN.search(text, position)
        if match is None:
            return
        if any(start <= match.start() < end for start, end in hidden):
            position = match.end()
            continue
        name = match.group(1)
        params, position = _parameters(text, match.end(), name)
        yield name, params, text[said_from:match.start()].strip()
        said_from = position


def _parameters(text: str, start: int, name: str) -> tuple[dict[str, Any], int]:
    close = f"</{name}>"
    params: dict[str, Any] = {}
    position = start
    while True:
        if text.startswith(close, position) or text[position:].lstrip().startswith(close):
            end = text.index(close, position)
            return params, end + len(close)
        match = _PARAM.match(text, position)
        if match is None:
            end = text.find(close, position)
            return params, (end + len(close)) if end >= 0 else len(text)
        key, begin = match.group(1), match.end()
        end_tag = f"</{key}>"
        if key in LAST_CLOSE:
            limit = text.rfind(close, begin)
            value_end = text.rfind(end_tag, begin, limit if limit >= 0 else len(text))
        else:
            value_end = text.find(end_tag, begin)
        if value_end < 0:                     # cut off mid-value (an interrupted message)
            params[key] = _value(key, text[begin:])
            return params, len(text)
        params[key] = _value(key, text[begin:value_end])
        position = value_end + len(end_tag)


def _value(key: str, raw: str) -> Any:
    if key in LAST_CLOSE:
        return raw.removeprefix("\n").removesuffix("\n")
    if key == "args" and _ELEMENT.search(raw):
        return _elements(raw)
    if key == "arguments":                     # use_mcp_tool: the tool's JSON arguments
        try:
            decoded = json.loads(raw)
        except (ValueError, RecursionError):
            return raw.strip()
        return decoded if isinstance(decoded, dict) else raw.strip()
    return raw.strip()


def _elements(raw: str, depth: int = 0) -> Any:
    """Nested `<name>...</name>` elements as {name: value}; a repeated name as a list."""
    found: dict[str, Any] = {}
    for name, inner in _ELEMENT.findall(raw):
        value = _elements(inner, depth + 1) if depth < 8 and _ELEMENT.search(inner) \
            else inner.strip()
        if name in found:
            previous = found[name]
            found[name] = (previous if isinstance(previous, list) else [previous]) + [value]
        else:
            found[name] = value
    return found


def result_header(text: str) -> tuple[str, str | None, str] | None:
    """(tool, its argument as the header names it, the rest of the text) of a result text."""
    match = HEADER.match(text)
    if match is None:
        refused = _NOT_RUN.match(text)
        return (refused.group(1), None, text) if refused else None
    arg = _ARG.match(match.group(2))
    return match.group(1), arg.group(1) if arg else None, text[match.end():]


def human_texts(text: str) -> list[str]:
    """What the human wrote inside the runtime's wrappers (feedback, answers, new messages)."""
    return [body for _, body in _HUMAN.findall(text) if body.strip()]


def task_text(text: str) -> str | None:
    match = _TASK.fullmatch(text)
    return match.group(1) if match else None


def is_environment(text: str) -> bool:
    return text.lstrip().startswith("<environment_details>")


def task_session(task: str, environment: str | None) -> str:
    """One id for a task, from content both its files hold: the task text and the first
    environment details (the ui file has them in its first API request)."""
    seed = task.strip() + "\n" + (environment or "").strip()
    return "cline-task-" + hashlib.sha256(seed.encode("utf-8", "replace")).hexdigest()[:12]


def environment_fields(text: str) -> dict[str, str]:
    """workspace folder, model and the time (ISO text, zone-less when the runtime names no
    zone) an `<environment_details>` block records."""
    fields: dict[str, str] = {}
    for key, pattern in (("cwd", _WORKSPACE), ("model", _MODEL)):
        match = pattern.search(text)
        if match:
            fields[key] = match.group(1).strip()
    match = _ISO_TIME.search(text)
    local = _LOCAL_TIME.search(text) if match is None else None
    if match:
        fields["time"] = match.group(1)
    elif local:
        moment = _local_time(*local.groups())
        if moment:
            fields["time"] = moment
    return fields


def _local_time(stamp: str, _zone: str | None, hours: str | None, minutes: str | None
                ) -> str | None:
    try:
        moment = datetime.strptime(stamp, "%m/%d/%Y, %I:%M:%S %p")
    except ValueError:
        return None
    if hours is None:
        return moment.isoformat()             # no zone named: left to --tz
    sign = -1 if hours.startswith("-") else 1
    offset = timedelta(hours=abs(int(hours)), minutes=int(minutes or 0)) * sign
    return format_utc(moment - offset)


def exit_error(text: str) -> bool | None:
    """What a command result says about its exit: True for a non-zero exit code."""
    match = re.search(r"Exit code: (-?\d+)", text[:4000])
    return int(match.group(1)) != 0 if match else None
