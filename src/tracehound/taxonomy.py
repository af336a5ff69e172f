"""Action taxonomy: a vendor's action name -> our action class.

`aws.s3.get-object`, `tools/call read_file`, `New-InboxRule`, `Microsoft.Authorization/
roleAssignments/write` all name what happened in their own words; analyzers reason over the
class (list, read, write, delete, execute, egress, permission-change, persistence,
authentication, consent). The rules are data: token sets checked in a fixed order, the most
consequential class first, so `put-rule` on a schedule is persistence before it is a write.
"""

from __future__ import annotations

import re
from functools import lru_cache

# (class, phrases) in precedence order. A phrase is a tuple of tokens that must all appear.
_RULES: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    ("persistence", (
        ("put", "rule"), ("put", "targets"), ("schedule",), ("schedules",), ("cron",),
        ("crontab",), ("create", "event", "source", "mapping"), ("update", "function",
        "configuration"), ("add", "trigger"), ("register", "server"), ("systemd",),
        ("launchagent",), ("launchd",), ("authorized", "keys"), ("webhook", "create"),
        ("create", "webhook"), ("create", "subscription"), ("bashrc",), ("profile", "rc"),
        ("stored", "prompt"), ("save", "prompt"), ("scheduler",),
    )),
    ("permission-change", (
        ("attach", "policy"), ("attach", "role", "policy"), ("attach", "user", "policy"),
        ("put", "role", "policy"), ("put", "user", "policy"), ("create", "policy"),
        ("update", "assume", "role", "policy"), ("add", "permission"), ("grant",),
        ("role", "assignments", "write"), ("add", "member", "to", "role"),
        ("create", "access", "key"), ("create", "login", "profile"), ("set", "permission"),
        ("add", "app", "role", "assignment"), ("add", "delegated", "permission"),
        ("create", "role"), ("assume", "role"),
    )),
    ("consent", (("consent",),)),
    ("authentication", (("sign", "in"), ("signin",), ("login",), ("logon",),
                        ("user", "logged", "in"), ("authenticate",))),
    ("egress", (
        ("upload",), ("send",), ("post",), ("email",), ("webhook",), ("exfil",),
        ("transfer",), ("share",), ("http", "request"), ("fetch", "url"), ("curl",),
        ("wget",), ("egress",), ("forward",), ("copy", "to"), ("publish",), ("sync", "out"),
    )),
    ("delete", (("delete",), ("remove",), ("rm",), ("purge",), ("destroy",), ("drop",),
                ("terminate",), ("stop", "logging"), ("disable",))),
    ("execute", (("exec",), ("execute",), ("run",), ("invoke",), ("bash",), ("shell",),
                 ("command",), ("eval",), ("spawn",), ("python",), ("script",))),
    ("write", (("put",), ("create",), ("update",), ("write",), ("edit",), ("modify",),
               ("set",), ("add",), ("tag",), ("new",), ("patch",), ("insert",), ("rename",),
               ("move",), ("enable",), ("restore",), ("import",))),
    ("read", (("get",), ("read",), ("download",), ("downloaded",), ("open",), ("view",),
              ("cat",), ("accessed",), ("retrieve",), ("head",), ("fetch",), ("query",),
              ("select",), ("export",))),
    ("list", (("list",), ("describe",), ("enumerate",), ("search",), ("scan",), ("ls",),
              ("find",), ("browse",), ("lookup",))),
)

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def tokens(action: str) -> tuple[str, ...]:
    """Lower-case word tokens of an action name (splits camelCase and punctuation)."""
    return tuple(t for t in _SPLIT.split(_CAMEL.sub(" ", action).lower()) if t)


@lru_cache(maxsize=65536)          # pure: traces repeat the same few tool names at scale
def classify_action(action: str, *hints: str) -> str:
    """The action class of a vendor action name; hints (e.g. an HTTP method) may decide."""
    words = set(tokens(action))
    for hint in hints:
        words.update(tokens(hint))
    for klass, phrases in _RULES:
        for phrase in phrases:
            if all(token in words for token in phrase):
                return klass
    return "other"
