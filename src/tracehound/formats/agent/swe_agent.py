"""SWE-agent trajectories (`<instance_id>.traj`, one JSON document) -> events.

A trajectory holds `trajectory` (one entry per step: `action`, the command line SWE-agent ran
in its shell session; `observation`, its output; `thought`; `response`; `state` with
`working_dir` after the step (a JSON string before 1.0); `execution_time`), `history` (the
messages the model saw: `role`, `content`, `message_type`, `agent`, `is_demo`, and in the
function-calling variant assistant `tool_calls` and `role: tool` observations), `info`
(`swe_agent_version`, `exit_status`, `submission`, `model_stats`) and `replay_config` (the
run's configuration as JSON text: `problem_statement`, `agent.model`). A retry run keeps each
attempt under `attempts`; each attempt is read as a session of its own.

Each step is one call. In the function-calling variant the call is the tool call of the
assistant message that produced the step (tool and arguments as the model sent them);
otherwise it is the action line run by the shell (tool `bash`, arguments {"command": line}).
The first user message is the instance template: a framework template whose task text is
the problem statement. Demonstrations (`is_demo`) are not read as steps or turns; a run whose
model is `human` is a human typing commands, which become human commands, not steps.
SWE-agent records no times and no approvals.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Iterator

from ...model import Event, EvidenceRef, ParseIssue, pointer_ref
from .builder import ToolCall, TraceBuilder
from .common import as_dict, as_list, as_text
from .templates import task_in_template
from ..base import Parser, Sample, Source
from ..readers import load_json
from ..registry import register

RUNTIME = "swe-agent"
HUMAN_MODELS = ("human", "human_thought")
_TEXT_HINT = re.compile(r'^\s*\{\s*"(?:trajectory|attempts)"\s*:\s*\[')

Ref = Callable[..., EvidenceRef]


def is_step(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("action"), str) and \
        "source" not in value and any(k in value for k in ("observation", "thought",
                                                            "response"))


def is_run(doc: Any) -> bool:
    """A trajectory document (or one attempt of a retry run)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("trajectory"), list):
        return False
    steps = doc["trajectory"]
    if steps:
        return is_step(steps[0])
    info, history = as_dict(doc.get("info")), as_list(doc.get("history"))
    return "swe_agent_version" in info or "exit_status" in info or any(
        isinstance(m, dict) and "message_type" in m for m in history[:3])


@register
class SWEAgentParser(Parser):
    name = "swe-agent"
    version = "1"
    description = "SWE-agent trajectories (.traj: trajectory / history / info)"
    example = "pallets__flask-5014.traj"

    def sniff(self, sample: Sample) -> str | None:
        doc = sample.document
        if is_run(doc):
            return "SWE-agent trajectory: trajectory steps with action / observation / thought"
        if isinstance(doc, dict) and as_list(doc.get("attempts")) and \
                all(is_run(a) for a in doc["attempts"][:3]):
            return "SWE-agent retry trajectory: attempts with action / observation steps"
        text = sample.text
        if doc is None and _TEXT_HINT.match(text) and '"thought"' in text and \
                '"observation"' in text and '"source"' not in text[:4096]:
            return "SWE-agent trajectory: trajectory steps with action / observation / " \
                   "thought (longer than the sample)"
        return None

    def parse(self, source: Source) -> Iterator[Event | ParseIssue]:
        builder = TraceBuilder(RUNTIME, source, order="file")
        doc, issues = load_json(source.data, source.path)
        for issue in issues:
            builder.add(issue)
        at: Ref = lambda *tokens: pointer_ref(source.sha256, *tokens)  # noqa: E731
        base = f"swe-agent-{source.sha256[:12]}"
        attempts = as_list(doc.get("attempts")) if isinstance(doc, dict) else []
        if attempts and all(isinstance(a, dict) for a in attempts):
            for number, attempt in enumerate(attempts):
                RunReader(builder, attempt, lambda *t, n=number: at("attempts", n, *t),
                          f"{base}-attempt-{number + 1}").read()
        elif isinstance(doc, dict):
            RunReader(builder, doc, at, base).read()
        elif doc is not None:
            builder.issue(at().locator, "not a SWE-agent trajectory object")
        yield from builder.build()


def _config(value: Any) -> dict[str, Any]:
    """replay_config: JSON text (1.x) or an object."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return {}
    return as_dict(value)


def _state(value: Any) -> dict[str, Any]:
    return _config(value)


def _arguments(value: Any) -> Any:
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except (ValueError, RecursionError):
            return value
        return decoded if isinstance(decoded, dict) else value
    return value


class RunReader:
    """One run (or attempt): its session record, template turn, and steps."""

    def __init__(self, builder: TraceBuilder, run: dict[str, Any], at: Ref, session: str):
        self.builder, self.run, self.at, self.session = builder, run, at, session
        config = _config(run.get("replay_config"))
        self.problem = as_dict(config.get("problem_statement"))
        self.model = as_text(as_dict(as_dict(config.get("agent")).get("model")).get("name"))
        self.cursor = 0                     # history position after the last matched step
        self.empty: list[EvidenceRef] = []  # steps whose action is empty (nothing ran)

    def read(self) -> None:
        info = as_dict(self.run.get("info"))
        if self.run.get("info") is not None and not isinstance(self.run.get("info"), dict):
            self.builder.issue(self.at("info").locator, "info is not an object")
        history = self.run.get("history")
        if history is not None and not isinstance(history, list):
            self.builder.issue(self.at("history").locator, "history is not a list")
        steps = self.run.get("trajectory")
        if not isinstance(steps, list):
            self.builder.issue(self.at().locator, "trajectory is not a list")
            steps = []
        self.session_record(info, as_list(history))
        self.messages(as_list(history))
        cwd = None
        for index, step in enumerate(steps):
            cwd = self.step(index, step, cwd)
        if self.empty:
            self.builder.issue(self.empty[0].locator, f"{len(self.empty)} trajectory step(s) "
                               "with an empty action (nothing ran: an exit or a reply without "
                               "a command); not read as steps")

    def session_record(self, info: dict[str, Any], history: list[Any]) -> None:
        demos = sum(1 for m in history if isinstance(m, dict) and m.get("is_demo"))
        self.builder.session_meta(
            self.at(), self.session, runtime_version=as_text(info.get("swe_agent_version")),
            agent_kind="coding", model=self.model,
            instance_id=as_text(self.problem.get("id")) or as_text(self.run.get("environment")),
            exit_status=as_text(info.get("exit_status")),
            submission=as_text(info.get("submission")), demonstration_messages=demos or None,
            raw=info)

    def messages(self, history: list[Any]) -> None:
        """The system prompt and the instance template; step messages are read with steps."""
        template_seen = False
        for index, message in enumerate(history):
            ref = self.at("history", index)
            if not isinstance(message, dict):
                self.builder.issue(ref.locator, "history entry is not a message object")
                continue
            if message.get("is_demo"):
                continue
            role, text = message.get("role"), _text(message.get("content"))
            if role == "system":
                self.builder.prompt(ref, text, "system", session=self.session,
                                    actor_id=RUNTIME, raw=message)
            elif role == "user" and not template_seen:
                template_seen = True
                self.template(ref, text, message)

    def template(self, ref: EvidenceRef, text: str | None, message: dict[str, Any]) -> None:
        known = as_text(self.problem.get("text"))
        task = known.strip() if known and text and known.strip() in text else \
            task_in_template(text)
        self.builder.prompt(ref, text, "user", session=self.session,
                            turn_kind="framework-template", task_text=task, raw=message)

    def step(self, index: int, step: Any, cwd: str | None) -> str | None:
        """One trajectory entry; returns the working directory after it."""
        ref = self.at("trajectory", index)
        if not isinstance(step, dict) or not isinstance(step.get("action"), str):
            self.builder.issue(ref.locator, "trajectory step has no action text")
            return cwd
        action = step["action"]
        after = as_text(_state(step.get("state")).get("working_dir")) or cwd
        if not action.strip():
            self.empty.append(ref)
            return after
        observation = step.get("observation")
        if self.model in HUMAN_MODELS:
            self.builder.human_command(ref, action, result=observation,
                                       session=self.session, raw=step)
            return after
        message = self.matching_message(action)
        tool, arguments, call_id, describe = _call_of(action, message)
        extra = {"execution_time": step["execution_time"]} \
            if isinstance(step.get("execution_time"), (int, float)) else {}
        if tool != "bash" or call_id:
            extra["command_line"] = action
        self.builder.add(ToolCall(
            ref=ref, tool=tool, session=self.session, tool_call_id=call_id,
            arguments=arguments, result=observation,
            is_error=None if observation is None else False, actor_id=RUNTIME,
            model=self.model, stated_intent=as_text(step.get("thought")) or None, cwd=cwd,
            describe_as=describe, extra=extra, raw=step))
        return after

    def matching_message(self, action: str) -> dict[str, Any] | None:
        """The next unused assistant message of the main agent that holds this action."""
        history = as_list(self.run.get("history"))
        for index in range(self.cursor, len(history)):
            message = history[index]
            if isinstance(message, dict) and not message.get("is_demo") and \
                    message.get("role") == "assistant" and message.get("action") == action:
                self.cursor = index + 1
                return message
        return None


def _call_of(action: str, message: dict[str, Any] | None
             ) -> tuple[str, Any, str | None, tuple[str, Any] | None]:
    """(tool, arguments, tool call id, describe_as) of one step."""
    calls = [c for c in as_list(as_dict(message).get("tool_calls")) if isinstance(c, dict)]
    function = as_dict(calls[0].get("function")) if calls else {}
    name = as_text(function.get("name"))
    if not name:
        return "bash", {"command": action}, None, None
    arguments = _arguments(function.get("arguments"))
    describe = None
    if isinstance(arguments, dict) and isinstance(arguments.get("command"), str) and \
            "path" in arguments:            # an editor: `command` is its sub-command
        describe = (arguments["command"], {k: v for k, v in arguments.items()
                                           if k != "command"})
    return name, arguments, as_text(calls[0].get("id")), describe


def _text(content: Any) -> str | None:
    """Message content: text, or the text parts of a content list."""
    if isinstance(content, str):
        return content
    parts = [as_text(as_dict(p).get("text")) for p in as_list(content)]
    return "\n".join(p for p in parts if p) or None
