"""Tool calls -> effects (docs/effects.md), by data/tools.yaml: shell tools through the
command table, file tools of every runtime, web and HTTP tools, MCP tools by name and
arguments (GitHub, Slack, mail, databases, schedulers, secret stores), cloud operation names
(`aws.s3.get-object`), and any other tool as a `tool-call` naming server/tool.

`tool_effects(tool, arguments, cwd, home, repo_root)` returns the same `Classified` record a
shell command gets: effects, whether everything was read, and the facts a session keeps
(files read, files written with their content, what went out, scripts run).
"""

from __future__ import annotations

import json
import re
import shlex
from functools import lru_cache
from typing import Any, Callable
from urllib.parse import urlsplit

from . import agent_config
from .command_cloud import cloud_operation, kind_of, sql_classes
from .command_context import Collected, Recorder, Where, host_class, is_public_host, \
    names_production, urls_in
from .command_files import patch_files
from .command_run import code_paths, code_signals
from .commands import Classified, classify
from .kinds import Effect
from .shell import family, parse
from .tables import table

__all__ = ["tool_effects", "split_tool_name"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@lru_cache(maxsize=1)
def _data() -> dict:
    return table("tools")


@lru_cache(maxsize=1)
def _families() -> dict[str, dict]:
    by_name: dict[str, dict] = {}
    for row in _data()["families"]:
        for name in row["names"]:
            by_name.setdefault(_normal(name), row)
    return by_name


@lru_cache(maxsize=16384)
def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", _CAMEL.sub("_", name).lower()).strip("_")


@lru_cache(maxsize=16384)
def split_tool_name(tool: str) -> tuple[str | None, str]:
    """(server, tool) of `mcp__server__tool`, `server.tool`, `server/tool`, `server:tool`."""
    if tool.startswith("mcp__"):
        parts = tool[5:].split("__", 1)
        return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])
    for separator in ("__", "/", ".", ":"):
        if separator in tool:
            server, _, name = tool.rpartition(separator)
            return server, name
    return None, tool


def tool_effects(tool: str, arguments: Any, cwd: str | None = None, home: str | None = None,
                 repo_root: str | None = None) -> Classified:
    """The effects of one tool call (cached when the arguments are small and plain)."""
    key = _frozen(arguments, [64])
    if key is not _UNHASHABLE:
        return _tool_effects_cached(str(tool or ""), key, cwd, home, repo_root)
    return _tool_effects(str(tool or ""), arguments, cwd, home, repo_root)


_UNHASHABLE = object()


def _frozen(value: Any, budget: list[int]) -> Any:
    """A hashable copy of small JSON arguments (dicts as tagged item tuples), or _UNHASHABLE."""
    if type(value) is dict and len(value) <= 8 and all(
            type(v) is str for v in value.values()):
        if sum(len(v) for v in value.values()) > 4096:
            return _UNHASHABLE
        return ("dict", tuple(value.items()))                 # the common case, fast
    budget[0] -= 1
    if budget[0] < 0:
        return _UNHASHABLE
    if isinstance(value, bool):                  # (True == 1 and False == 0 as cache keys)
        return ("bool", value)
    if value is None or isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= 1024 else _UNHASHABLE
    if isinstance(value, (list, tuple)):
        items = tuple(_frozen(v, budget) for v in value)
        return _UNHASHABLE if _UNHASHABLE in items else ("list", items)
    if isinstance(value, dict):
        pairs = tuple((k, _frozen(v, budget)) for k, v in value.items())
        if any(v is _UNHASHABLE or not isinstance(k, str) for k, v in pairs):
            return _UNHASHABLE
        return ("dict", pairs)
    return _UNHASHABLE


def _thawed(value: Any) -> Any:
    if isinstance(value, tuple):
        tag, items = value
        if tag == "bool":
            return items
        if tag == "list":
            return [_thawed(v) for v in items]
        return {k: _thawed(v) for k, v in items}
    return value


@lru_cache(maxsize=16384)
def _tool_effects_cached(tool: str, key: Any, cwd: str | None, home: str | None,
                         repo_root: str | None) -> Classified:
    return _tool_effects(tool, _thawed(key), cwd, home, repo_root)


def _tool_effects(tool: str, arguments: Any, cwd: str | None, home: str | None,
                  repo_root: str | None) -> Classified:
    try:
        return _read_call(tool, arguments, cwd, home, repo_root)
    except Exception as error:  # noqa: BLE001 -- odd arguments never fail a step
        name = split_tool_name(tool)[1]
        return Classified((Effect("tool-call", name, detail="arguments not understood"),), False,
                          notes=(f"tool arguments read only in part ({type(error).__name__})",))


def _read_call(tool: str, arguments: Any, cwd: str | None, home: str | None,
               repo_root: str | None) -> Classified:
    args = _arguments(arguments)
    where = Where(cwd, home, repo_root)
    normal = _normal(tool)
    data = _data()
    server, name = split_tool_name(tool)
    short = _normal(name)
    command = _command_in(args)
    if command is not None and (normal in data["shell"]["names"]
                                or short in data["shell"]["names"]):
        return _shell(command, args, where)
    if short in data["wrappers"]:
        inner = data["wrappers"][short]
        return tool_effects(f"mcp__{args.get(inner['server'], 'mcp')}__{args.get(inner['tool'])}",
                            args.get(inner["arguments"]), cwd, home, repo_root)
    if short in data["internal"] or normal in data["internal"] or (
            server is None and short in data["runtime_internal"]):
        return Classified((), True, notes=("a planning or delegation tool: no effect",))
    rec = Recorder(where, Collected())
    handled = _by_family(rec, server, short, args) or cloud_operation(rec, tool, args) or \
        _code(rec, short, args)
    if not handled:
        rec.add("tool-call", f"{server}/{name}" if server else name,
                detail="a tool the tables do not know: no effect assumed")
    return _finish(rec.got, True)


def _arguments(arguments: Any) -> dict[str, Any]:
    if isinstance(arguments, dict):
        return arguments
    if isinstance(arguments, str):
        text = arguments.strip()
        if text.startswith("{"):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict):
                return parsed
        return {"input": arguments}
    if isinstance(arguments, list):
        return {"command": arguments} if all(isinstance(a, str) for a in arguments) else {}
    return {}


def _first(args: dict[str, Any], keys: list[str]) -> Any:
    for key in keys:
        value = args.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


# ----------------------------------------------------------------------------- shell, code

def means_of(tool: str, arguments: Any) -> frozenset[str]:
    """How a call acts: the programs a shell tool's command runs, else the tool itself. Two
    calls with the same means that reach one effect are the same request made again; with
    different means, the effect was reached another way."""
    args = _arguments(arguments)
    command = _command_in(args)
    normal = _normal(split_tool_name(tool)[1])
    if command is not None and normal in _data()["shell"]["names"]:
        programs = frozenset(family(c.argv[0]) for c in parse(command).commands if c.argv)
        if programs:
            return programs
    row = _families().get(normal)
    if row is not None:              # Write, Edit, apply_patch: one way to change a file
        return frozenset({EDITING if row["family"] in EDITING_FAMILIES else row["family"]})
    return frozenset({normal})


EDITING = "file editing tools"
EDITING_FAMILIES = frozenset({"write", "edit", "patch", "editor"})


def _command_in(args: dict[str, Any]) -> str | None:
    value = _first(args, _data()["shell"]["command_keys"])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(shlex.quote(v) for v in value)
    return value if isinstance(value, str) else None


def _shell(command: str, args: dict[str, Any], where: Where) -> Classified:
    cwd = _first(args, _data()["shell"]["cwd_keys"])
    if isinstance(cwd, str) and cwd:
        where = where.at(cwd)
    result = classify(command, where.cwd, where.home, where.repo_root)
    if not any(e.kind == "persistence-write" for e in result.effects):
        return result
    got = _collected(result)
    agent_config.name_servers(got, {path: content for path, content in result.writes if content})
    return _finish(got, result.fully_parsed, result.cwd)


def _code(rec: Recorder, short: str, args: dict[str, Any]) -> bool:
    spec = _data()["code"]
    if short not in spec["names"]:
        return False
    code = _text(_first(args, spec["code_keys"])) or ""
    for path in code_paths(code):
        if rec.path(path).kind == "credential-store":
            rec.path_effect("file-read", path, "in code")
    signals = code_signals(code)
    if signals:
        rec.add("opaque-execution", short, detail="code uses " + ", ".join(signals))
    else:
        rec.add("exec", "python", detail="inline code")
    return True


# ----------------------------------------------------------------------------- families

@lru_cache(maxsize=1)
def _patterned() -> tuple[tuple[re.Pattern[str], dict], ...]:
    """(pattern, family) for families that match names by their words, in table order."""
    return tuple((re.compile(p), family) for family in _data()["families"]
                 for p in family.get("patterns") or ())


def _by_family(rec: Recorder, server: str | None, short: str, args: dict[str, Any]) -> bool:
    family = _families().get(short) or next(
        (f for pattern, f in _patterned() if pattern.search(short)), None)
    if family is None:
        return False
    handler = _HANDLERS[family["family"]]
    handler(rec, family, args, server, short)
    return True


def _path(family: dict, args: dict[str, Any]) -> str | None:
    value = _first(args, family.get("path_keys", []))
    return value if isinstance(value, str) else None


def _read(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    path = _path(family, args)
    if path and "://" in path and not path.startswith("file://"):
        _fetch(rec, family, {"url": path})
        return
    rec.path_effect("file-read", path or ".")


def _read_many(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    paths = _first(args, family["paths_keys"]) or []
    for path in paths if isinstance(paths, list) else [paths]:
        if isinstance(path, str):
            rec.path_effect("file-read", path)


def _list(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    rec.path_effect("file-read", _path(family, args) or ".", listing=True)


def _search(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    value = _first(args, family["path_keys"])
    paths = value if isinstance(value, list) else [value or "."]
    for path in paths:
        if isinstance(path, str):
            rec.path_effect("file-read", path)


def _write(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    path = _path(family, args)
    if not path:
        return
    content = _text(_first(args, family.get("content_keys", [])))
    old = _text(_first(args, family.get("old_keys", [])))
    if family["family"] == "edit":
        rec.write(path, None)
        agent_config.name_servers(rec.got, {rec.path(path).path: content}, {rec.path(path).path: old})
        return
    rec.write(path, content)
    agent_config.name_servers(rec.got, {rec.path(path).path: content})


def _delete(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
            short: str) -> None:
    if "owner" in args and "repo" in args:
        _repo_push(rec, family, args, server, short)
        return
    path = _path(family, args)
    if path:
        rec.path_effect("file-delete", path)


def _move(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    source = _first(args, family["source_keys"])
    dest = _first(args, family["dest_keys"])
    if isinstance(dest, str):
        rec.write(dest, None, "moved")
    if isinstance(source, str):
        rec.path_effect("file-delete", source, "moved")


def _patch(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    text = _text(_first(args, family["text_keys"])) or ""
    for action, path, added in patch_files(text):
        if action == "delete":
            rec.path_effect("file-delete", path, "patch")
            continue
        rec.write(path, added if action == "add" else None, "patch")
        agent_config.name_servers(rec.got, {rec.path(path).path: added})


def _editor(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
            short: str) -> None:
    command = str(args.get(family["command_key"]) or "view")
    mapped = family["commands"].get(command, "edit")
    target = next((f for f in _data()["families"] if f["family"] == mapped), family)
    merged = {**target, "path_keys": family["path_keys"],
              "content_keys": family["content_keys"], "old_keys": family["old_keys"]}
    _HANDLERS[mapped](rec, merged, args, server, short)


def _fetch(rec: Recorder, family: dict, args: dict[str, Any], server: str | None = None,
           short: str = "") -> None:
    value = _first(args, family.get("url_keys", ["url"]))
    urls = urls_in([str(v) for v in value if v is not None] if isinstance(value, list)
                   else [str(value or "")])
    said = next((m for word, m in (family.get("name_methods") or {}).items()
                 if word in short.split("_")), None)
    method = str(_first(args, family.get("method_keys", [])) or said or "GET").upper()
    body = _first(args, family.get("body_keys", []))
    sent = _first(args, family.get("file_keys", [])) if method in _BODY_METHODS else None
    if isinstance(sent, str) and sent.strip():
        rec.path_effect("file-read", sent)
        rec.got.sends.append(rec.path(sent).path)
        body = body if body is not None else f"(file {sent})"
    hosts = [urlsplit(u).hostname or u for u in urls] or ["(no url)"]
    for host in dict.fromkeys(hosts):
        if body is not None or method in _BODY_METHODS:
            _send(rec, host, body, method)
        else:
            rec.add("download", host, where=host_class(host), direction="in",
                    detail=None if method == "GET" else f"{method} request")


def _send(rec: Recorder, host: str, body: Any, method: str) -> None:
    text = _text(body)
    if text:
        rec.got.sends_text.append(text)
    klass = host_class(host)
    rec.add("message-send" if klass == "chat-webhook" else "upload", host, where=klass,
            direction="out", public=is_public_host(host), detail=f"{method} request")


def _search_web(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    rec.add("download", "web search", direction="in", detail="search results")


def _message(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
             short: str) -> None:
    recipients = _first(args, family["recipient_keys"])
    body = [_text(args.get(k)) for k in family["body_keys"] if args.get(k)]
    rec.got.sends_text.extend(b for b in body if b)
    shown = ", ".join(recipients) if isinstance(recipients, list) else _text(recipients)
    rec.add("message-send", shown or f"{server or short} recipients", where=server or "message",
            direction="out", detail=short)


def _gist(rec: Recorder, family: dict, args: dict[str, Any], *_: Any) -> None:
    files = args.get("files")
    contents: list[str] = []
    if isinstance(files, dict):
        contents = [_text(v.get("content") if isinstance(v, dict) else v) or "" for v in
                    files.values()]
    elif isinstance(files, list):
        contents = [_text(f.get("content")) or "" for f in files if isinstance(f, dict)]
    for key in ("content", "text", "body"):
        if isinstance(args.get(key), str):
            contents.append(args[key])
    rec.got.sends_text.extend(c for c in contents if c)
    public = args.get("public") in (True, "true", "True", 1)
    rec.add("publish", "gist", public=public, direction="out",
            detail="public gist" if public else "gist")


def _repo(args: dict[str, Any]) -> str:
    owner, repo = args.get("owner"), args.get("repo") or args.get("repository")
    return f"{owner}/{repo}" if owner and repo else str(repo or owner or "(repository)")


def _publish(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
             short: str) -> None:
    body = [_text(args.get(k)) for k in family["body_keys"] if args.get(k)]
    rec.got.sends_text.extend(b for b in body if b)
    target = _repo(args) if "owner" in args or "repo" in args else \
        _text(_first(args, family["target_keys"])) or server or short
    rec.add("publish", target, direction="out", detail=short.replace("_", " "),
            public=args.get("public") is True)


def _repo_push(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
               short: str) -> None:
    files = args.get("files")
    if isinstance(files, list):
        rec.got.sends_text.extend(_text(f.get("content")) or "" for f in files
                                  if isinstance(f, dict))
    if isinstance(args.get("content"), str):
        rec.got.sends_text.append(args["content"])
    branch = args.get("branch") or args.get("base") or "(default branch)"
    rec.add("vcs-push", f"{_repo(args)} {branch}", direction="out", detail=short.replace("_", " "),
            production=names_production(str(branch)))


def _repo_delete(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
                 short: str) -> None:
    what = args.get("branch") or args.get("ref") or args.get("tag") or ""
    rec.add("vcs-remote-delete", f"{_repo(args)} {what}".strip(), direction="out",
            detail=short.replace("_", " "))


def _repo_create(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
                 short: str) -> None:
    private = args.get("private") in (True, "true", "True", 1) or args.get("visibility") in (
        "private", "internal")
    rec.add("publish", str(args.get("name") or _repo(args)), direction="out",
            public=not private and short != "fork_repository", detail=short.replace("_", " "))


def _remote_read(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
                 short: str) -> None:
    rec.add("download", server or "remote service", direction="in", detail=short)


def _database(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
              short: str) -> None:
    sql = _text(_first(args, family["sql_keys"])) or ""
    target = _text(_first(args, family["target_keys"])) or server or "database"
    classes = sql_classes(sql) if sql else [
        "delete" if short.startswith(("drop", "delete")) else "write"
        if short.startswith(("create", "insert")) else "read"]
    production = names_production(target) or names_production(server or "")
    for klass in classes:
        rec.add(kind_of(klass), f"db:{target}", production=production, detail=short)


def _schedule(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
              short: str) -> None:
    target = _text(_first(args, family["target_keys"])) or short
    command = _text(args.get("command") or args.get("url"))
    rec.add("persistence-write", target, where="persistence",
            detail=f"{short.replace('_', ' ')}" + (f": {command[:80]}" if command else ""))


def _secret(rec: Recorder, family: dict, args: dict[str, Any], server: str | None,
            short: str) -> None:
    target = _text(_first(args, family["target_keys"])) or short
    rec.add("credential-read", f"{server + ':' if server else ''}{target}",
            where="credential-store", production=names_production(target), detail=short)


_HANDLERS: dict[str, Callable[..., None]] = {
    "read": _read, "read-many": _read_many, "list": _list, "search": _search, "write": _write,
    "edit": _write, "delete": _delete, "move": _move, "patch": _patch, "editor": _editor,
    "fetch": _fetch, "web-search": _search_web, "http": _fetch, "message": _message,
    "gist": _gist, "publish": _publish, "repo-push": _repo_push, "repo-delete": _repo_delete,
    "repo-create": _repo_create, "remote-read": _remote_read, "database": _database,
    "schedule": _schedule, "secret-read": _secret,
}


# ----------------------------------------------------------------------------- config writes

def _collected(result: Classified) -> Collected:
    got = Collected()
    got.effects = list(result.effects)
    got.reads, got.writes = list(result.reads), list(result.writes)
    got.sends, got.sends_text = list(result.sends), list(result.sends_text)
    got.runs, got.notes = list(result.runs), list(result.notes)
    got.derived = list(result.derived)
    return got


def _finish(got: Collected, fully_parsed: bool, cwd: str | None = None) -> Classified:
    return Classified(tuple(dict.fromkeys(got.effects)), fully_parsed,
                      tuple(dict.fromkeys(got.reads)), tuple(dict.fromkeys(got.writes)),
                      tuple(dict.fromkeys(got.sends)), tuple(dict.fromkeys(got.sends_text)),
                      tuple(dict.fromkeys(got.runs)), tuple(got.notes), cwd,
                      tuple(dict.fromkeys(got.derived)))
