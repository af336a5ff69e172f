"""What one agent tool call does, read from its tool name and arguments.

The action class comes from the taxonomy; a shell tool is classified by the programs its
command runs (`cat` reads, `curl` sends, `crontab -` persists, a `>> ~/.bashrc` redirect
persists), a file tool by the path it touches (writing under `.config/systemd/` persists). The
target is the path, URL or bucket/key the call names. Nothing here raises on odd arguments.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit

from ...taxonomy import classify_action, tokens


def first_of(mapping: Mapping[str, Any], *keys: str) -> Any:
    """The first value under any of the keys that is not None or empty text."""
    for key in keys:
        value = mapping.get(key)
        if value is not None and value != "":
            return value
    return None


def as_text(value: Any) -> str | None:
    """A scalar as text (numbers too: ids are often ints); None for None, dicts and lists."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


SHELL_TOOL_WORDS = frozenset({"bash", "shell", "sh", "zsh", "terminal", "powershell", "cmd",
                              "subprocess", "exec", "command"})
COMMAND_KEYS = ("command", "cmd", "script", "commandline", "command_line", "shell_command")
URL_KEYS = ("url", "uri", "endpoint", "webhook_url", "webhook", "href", "target_url", "link")
PATH_KEYS = ("file_path", "filepath", "path", "filename", "file", "target_file",
             "notebook_path", "directory", "dir", "destination", "dest", "source")
BYTES_KEYS = ("bytes", "bytes_out", "size", "size_bytes", "content_length", "length")
BODY_KEYS = ("body", "data", "content", "payload", "json")
# programs with subcommands worth reading (`aws s3api get-object`, `git push`)
SUBCOMMAND_PROGRAMS = frozenset({"aws", "gcloud", "az", "kubectl", "git", "docker", "gh",
                                 "systemctl", "launchctl", "gsutil", "schtasks"})
# program names that say more under another word the taxonomy knows
PROGRAM_WORDS = {"grep": "search", "rg": "search", "ag": "search", "tail": "read",
                 "less": "read", "more": "read", "wc": "read", "du": "list", "df": "list",
                 "stat": "describe", "tree": "list", "mkdir": "create", "touch": "create",
                 "systemctl": "systemd", "launchctl": "launchd", "schtasks": "scheduler",
                 "at": "schedule", "scp": "upload", "rsync": "transfer", "nc": "send",
                 "ncat": "send", "sftp": "upload", "ftp": "upload"}
# a tool named for one of these classes keeps it whatever command it carries
TOOL_CLASS_WINS = frozenset({"persistence", "permission-change"})
# tool-name words that say more under another word (Claude Code's Grep and Glob search)
TOOL_WORDS = {"grep": "search", "glob": "find", "rg": "search"}
PATH_ARG_PROGRAMS = frozenset({"tee", "cp", "mv", "install", "ln"})
SHELL_PREFIXES = frozenset({"sudo", "env", "nohup", "time", "nice", "exec", "command"})
_URL = re.compile(r"https?://[^\s'\"<>|;)]+")
_SQL_TABLE = re.compile(r"(?is)\b(?:from|into|update|table)\s+([\w.\"`\[\]]+)")
_SQL_START = re.compile(r"(?is)\s*(?:select|with|insert|update|delete|create|merge)\b")
_SUBCOMMAND = re.compile(r"^[a-z][a-z0-9-]*$")
_REDIRECT = re.compile(r"^[0-9&]?>>?(.*)$")
STORAGE_SCHEMES = ("s3://", "gs://", "az://", "abfs://")
_OPERATORS = frozenset({"|", "||", "&&", ";", "&", "(", ")", ";;", "|&", "\n"})
MUTATION_BY_CLASS = {"list": "read", "read": "read", "write": "changed", "delete": "deleted",
                     "egress": "sent", "persistence": "created", "permission-change": "changed",
                     "execute": "none", "authentication": "none", "consent": "none",
                     "other": "none"}
_CREATING = frozenset({"create", "new", "add", "register", "mkdir", "install"})


@dataclass(frozen=True)
class CallShape:
    """What a tool call does, read from its name and arguments."""

    action_class: str
    target_id: str | None = None
    target_type: str | None = None
    url: str | None = None
    method: str | None = None
    bytes_out: int | None = None
    command: str | None = None

    @property
    def dest_host(self) -> str | None:
        return host_of(self.url)


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def shell_words(command: str) -> list[list[str]]:
    """The command split into simple commands (lists of words) at shell operators."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    try:
        words = list(lexer)
    except ValueError:
        words = re.split(r"\s+", command)
    segments: list[list[str]] = [[]]
    for word in words:
        if word in _OPERATORS or (word and set(word) <= set(";&|()")):
            segments.append([])
        elif word:
            segments[-1].append(word)
    return [s for s in segments if s]


def command_words(command: str) -> tuple[list[str], list[str]]:
    """(words that say what the command does, the resources it names) of a shell command."""
    said: list[str] = []
    targets: list[str] = []
    for segment in shell_words(command):
        while segment and ("=" in segment[0] and not segment[0].startswith("=")
                           or segment[0] in SHELL_PREFIXES):
            segment = segment[1:]
        if not segment:
            continue
        program = segment[0].rsplit("/", 1)[-1].lower()
        said.append(PROGRAM_WORDS.get(program, program))
        args = segment[1:]
        if program in SUBCOMMAND_PROGRAMS:
            said += [a for a in args[:3] if _SUBCOMMAND.match(a)][:2]
        said_more, named = _argument_words(program, args)
        said += said_more
        targets += named
    return said, targets


def _argument_words(program: str, args: list[str]) -> tuple[list[str], list[str]]:
    """Words from redirect targets and copy destinations; the paths and URIs named."""
    said: list[str] = []
    named: list[str] = []
    options: dict[str, str] = {}
    for position, arg in enumerate(args):
        following = args[position + 1] if position + 1 < len(args) else ""
        redirect = _REDIRECT.match(arg)
        if redirect:
            path = redirect.group(1) or following
            if path and not path.startswith(("/dev/", "&")):
                said += ["write", *tokens(path)]
                named.insert(0, path)       # what a redirect writes is the command's target
            continue
        if arg.startswith("--") and following and not following.startswith("-"):
            options[arg[2:].lower()] = following
        if program in PATH_ARG_PROGRAMS and not arg.startswith("-"):
            said += tokens(arg)
        if arg.startswith(STORAGE_SCHEMES) or _looks_like_path(arg):
            named.append(arg)
    bucket = options.get("bucket")
    if bucket:
        key = options.get("key") or options.get("prefix")
        named.insert(0, f"s3://{bucket}/{key}" if key else f"s3://{bucket}")
    return said, named


def _looks_like_path(arg: str) -> bool:
    if arg.startswith("-") or "://" in arg or len(arg) < 2 or any(c in arg for c in "=@ \t\n"):
        return False
    return arg.startswith(("/", "~/", "./", "../")) or "/" in arg


def shell_command_of(tool: str, arguments: Any) -> str | None:
    """The shell command a call runs, when the tool is a shell or the arguments carry one."""
    if isinstance(arguments, dict):
        value = first_of(arguments, *COMMAND_KEYS)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = " ".join(shlex.quote(v) for v in value)
        if isinstance(value, str):
            return value
        return None
    if isinstance(arguments, str) and SHELL_TOOL_WORDS.intersection(tokens(tool)):
        return arguments
    return None


def describe_call(tool: str, arguments: Any) -> CallShape:
    """The action class, target, URL and bytes of one tool call."""
    args = arguments if isinstance(arguments, dict) else {}
    if isinstance(arguments, str) and _SQL_START.match(arguments):
        args = {"query": arguments}        # a model that sent bare SQL instead of JSON
    method = as_text(first_of(args, "method", "http_method", "verb"))
    command = shell_command_of(tool, arguments)
    if command is not None and classify_action(tool) in TOOL_CLASS_WINS:
        command = None          # schedule_task(command=...): the command is only the payload
    url = _url_in(args) or (_URL.search(command).group(0) if command and _URL.search(command)
                            else None)
    if command is not None:
        said, named = command_words(command)
        klass = classify_action(" ".join(said)) if said else "other"
        if klass == "other":
            klass = "execute"
        target = url if klass == "egress" and url else (named[0] if named else None)
        if target is None and klass == "persistence":
            target = next((w for w in said if classify_action(w) == "persistence"), None)
        target = target or url
        if target != url and klass not in ("egress", "read", "list"):
            url = None          # a URL inside a command it only installs (cron line) or echoes
        return CallShape(klass, target, _kind_of_target(target, url), url, method, None,
                         command)
    aliases = [TOOL_WORDS[t] for t in tokens(tool) if t in TOOL_WORDS]
    klass = classify_action(tool, method or "", *aliases)
    path = _path_in(args)
    if path and klass in ("write", "execute", "other"):
        hinted = classify_action(tool, *tokens(path))
        if hinted == "persistence":
            klass = hinted
    if klass == "other" and url:
        klass = classify_action(tool, method or "", "fetch")
    target, target_type = _target_in(args, path, url, klass)
    bytes_out = _bytes_out(args) if klass == "egress" else None
    return CallShape(klass, target, target_type, url, method, bytes_out, None)


def _kind_of_target(target: str | None, url: str | None) -> str | None:
    if not target:
        return None
    if target == url or target.startswith(("http://", "https://")):
        return "url"
    return "object" if target.startswith(STORAGE_SCHEMES) else "path"


def _url_in(args: Mapping[str, Any]) -> str | None:
    value = first_of(args, *URL_KEYS)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _path_in(args: Mapping[str, Any]) -> str | None:
    value = first_of(args, *PATH_KEYS)
    return value if isinstance(value, str) and value.strip() else None


def _target_in(args: Mapping[str, Any], path: str | None, url: str | None,
               klass: str) -> tuple[str | None, str | None]:
    if klass == "persistence":
        name = as_text(first_of(args, "name", "job", "job_name", "task", "schedule_name",
                                "rule_name", "function_name"))
        if name:
            return name, "schedule"
    bucket = as_text(first_of(args, "bucket", "bucket_name", "Bucket"))
    if bucket:
        key = as_text(first_of(args, "key", "object_key", "Key", "prefix"))
        return (f"s3://{bucket}/{key}" if key else f"s3://{bucket}"), "object"
    if url:
        return url, "url"
    if path:
        return path, "path"
    query = first_of(args, "query", "sql", "statement")
    table = _SQL_TABLE.search(query) if isinstance(query, str) else None
    if table:
        return table.group(1).strip('"`[]'), "table"
    other = as_text(first_of(args, "resource", "target", "table", "repository", "repo",
                             "host", "name", "id"))
    if other:
        return other, "resource"
    for key, value in args.items():          # ticket_id=48213 -> ticket/48213
        if isinstance(key, str) and key.endswith("_id") and as_text(value) and len(key) > 3:
            return f"{key[:-3]}/{as_text(value)}", "resource"
    return None, None


def byte_count(value: Any) -> int | None:
    """A non-negative whole byte count that fits a 64-bit column, else None."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or not 0 <= value < 2 ** 63:
        return None
    return int(value)


def _bytes_out(args: Mapping[str, Any]) -> int | None:
    given = byte_count(first_of(args, *BYTES_KEYS))
    if given is not None:
        return given
    body = first_of(args, *BODY_KEYS)
    if isinstance(body, str):
        return len(body.encode("utf-8", errors="replace"))
    if isinstance(body, (dict, list)):
        return len(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8"))
    return None


def mutation_of(action_class: str, tool: str) -> str:
    if action_class == "write" and _CREATING.intersection(tokens(tool)):
        return "created"
    return MUTATION_BY_CLASS.get(action_class, "none")
