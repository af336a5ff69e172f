"""The task text inside a framework's task wrapper (SWE-agent, OpenHands benchmark harnesses).

Harnesses such as SWE-agent and the OpenHands evaluation scripts do not pass the human's task
on as it was written: they wrap it in a template (`<uploaded_files>...<pr_description>TASK
</pr_description>...`, `ISSUE:\\nTASK\\n\\nINSTRUCTIONS:`). The wrapper is the framework's
text; the task inside it is the human's (an issue body). `task_in_template` returns that inner
text, or None when the text is not one of these wrappers. It reads the wrappers' own markers
only; it never guesses at free text.
"""

from __future__ import annotations

import re

# <pr_description> (SWE-agent 1.x), <issue_description> (OpenHands SWE-bench harness),
# <issue> / <problem_statement> (other harness templates built the same way)
_TAGGED = re.compile(r"<(pr_description|issue_description|issue|problem_statement)>"
                     r"[ \t]*\r?\n?(.*?)\r?\n?[ \t]*</\1>", re.S)
# SWE-agent 0.x: "...Here's the issue text:\nISSUE:\n<task>\n\nINSTRUCTIONS:\n..."
_ISSUE_BLOCK = re.compile(r"(?:^|\n)ISSUE:[ \t]*\r?\n(.*?)\r?\n[ \t]*\r?\n[ \t]*INSTRUCTIONS:",
                          re.S)


def task_in_template(text: str | None) -> str | None:
    """The task a framework template wraps, or None when `text` is no such template."""
    if not isinstance(text, str):
        return None
    match = _TAGGED.search(text)
    if match is not None:
        return match.group(2).strip() or None
    match = _ISSUE_BLOCK.search(text)
    if match is not None:
        return match.group(1).strip() or None
    return None
