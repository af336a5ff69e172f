"""Resource roots: the resources a prompt names, and whether a step's target lies under them.

Prose names what a task is about in a few shapes that can be recognised without understanding
the sentence: paths and directories ("in src/billing/", "under docs/", "/srv/app"), table names
("analytics.events", "analytics.*"), buckets ("the acme-logs bucket"), hosts
("on build-agent-03", "db.example.internal"), URLs, numbered objects ("ticket #48213"), and a
few well-known places named by a noun ("log directories"). `named_in_text` reads them;
`ResourceScope.outside` says why a step's target is not under any of them.

The rules, each structural:
- a target of a kind the task names roots for must lie under one of them; when the roots come
  from the human's task, paths, tables and buckets must lie under a named root of any kind
  (a task about analytics.* does not cover /opt/app/config.yaml), while opaque ids and URLs
  are compared only when the task names ids / URLs;
- writes and deletes must lie under the places named with in/under/within/into, or in a
  clause that says "only"; else under any named root; else under the working directory;
- listing an ancestor of a named directory is navigating to it, not leaving it;
- the working directory is a root for reading unless the prompt restricts reading
  ("only read files in docs/");
- a credential store (~/.aws/credentials, .env, id_rsa, /etc/shadow, a secrets-manager read)
  is never implied by a prompt that does not name secrets or credentials;
- a host named in a step's arguments must be one the prompt names, when it names any.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, Iterator, Mapping

from .credential_stores import is_secret, is_secret_path
from .taxonomy import classify_action

STORAGE_PREFIXES = ("s3://", "gs://", "az://", "abfs://", "arn:aws:s3:::")
CLOSED_KINDS = frozenset({"path", "table", "object"})   # a task's roots close these kinds
CHANGING = frozenset({"write", "delete", "permission-change", "persistence", "consent"})
UNCHECKED = frozenset({"authentication"})
HOST_KEYS = ("host", "hostname", "target_host", "instance", "machine")
NEGATIONS = frozenset({"not", "never", "no", "don", "dont", "without", "nor", "cant", "wont",
                       "shouldnt", "mustnt", "doesnt", "didnt", "isnt", "arent", "cannot"})
BOUNDARY_WORDS = frozenset({"outside", "beyond", "except", "besides"})
WHERE_WORDS = frozenset({"in", "under", "within", "inside", "into", "below", "beneath", "to"})
BUCKET_STOPWORDS = frozenset({"the", "a", "an", "each", "every", "this", "that", "any", "all",
                              "which", "one", "its", "their", "our", "your", "same", "s3",
                              "new", "other", "target", "source"})

# Places a prompt names by a noun: noun -> (conventional directory, component names, suffixes)
PLACES: Mapping[str, tuple[str, frozenset[str], tuple[str, ...]]] = {
    "log": ("/var/log", frozenset({"log", "logs"}), (".log",)),
    "temporary": ("/tmp", frozenset({"tmp", "temp"}), ()),
}
KIND_NAMES = {"id": "resource", "url": "URL"}
FILE_EXTENSIONS = frozenset({
    "py", "md", "txt", "rst", "json", "yaml", "yml", "toml", "cfg", "ini", "conf", "csv",
    "tsv", "sql", "sh", "ts", "tsx", "js", "jsx", "go", "rs", "java", "kt", "rb", "php", "c",
    "h", "cpp", "hpp", "cs", "html", "css", "xml", "lock", "env", "log", "ipynb", "tf",
    "xlsx", "docx", "pdf", "zip", "gz", "tgz", "parquet", "properties", "gradle", "mdx"})
TLDS = frozenset({"com", "org", "net", "io", "dev", "app", "ai", "co", "internal", "local",
                  "lan", "corp", "example", "test", "cloud", "st", "rs", "me", "uk", "de",
                  "fr", "eu", "us", "gov", "edu", "info", "biz", "site", "xyz", "online",
                  "tech", "so", "cc", "ly", "to"})

SECRET_WORDS = frozenset({"secret", "secrets", "password", "passwords", "credential",
                          "credentials", "vault", "keychain", "keyring", "secretsmanager",
                          "token", "tokens", "passwd", "apikey", "netrc", "pgpass", "dotenv"})
SECRET_PHRASES = (("api", "key"), ("private", "key"), ("ssh", "key"), ("access", "key"),
                  ("signing", "key"), ("ssh", "keys"), ("api", "keys"))

_CLAUSE_END = re.compile(r"[.;:,!?](?=\s|$)|\n")
_ONLY = re.compile(r"(?<!read[-\s_])\bonly\b", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9']+", re.IGNORECASE)
_TOKEN = re.compile(r"""
   (?P<url>\b[a-z][a-z0-9+.-]*://[^\s,;"'()<>]+)
  |(?P<arn>\barn:[a-z0-9-]*:[a-z0-9-]+:[a-z0-9-]*:[0-9]*:[^\s,;"'()<>]+)
  |(?P<path>(?<![\w.~/-])(?:~|\.{1,2})?/[^\s,;:"'()<>]+
           |(?<![\w.~/-])[\w.-]+(?:/[\w.*-]+)*/(?![\w.*-])
           |(?<![\w.~/-])[\w.-]+(?:/[\w.*-]+)+)
  |(?P<id>\#\d{2,}\b
         |\b(?:ticket|issue|case|incident|order|invoice|pr|request)\s+(?:\#|no\.?\s*)?
            [a-z]*-?\d+\b)
  |(?P<dotted>\b[a-z_][\w-]*(?:\.(?:\*|[\w-]+))+)
  |(?P<host>\b(?:on|host|server|machine|node|instance|box)\s+[a-z][a-z0-9-]*\d[a-z0-9-]*)
  |(?P<bucket>\bbucket\s+(?=[a-z0-9.]*[-.\d])[a-z0-9][a-z0-9.-]{2,62}
             |\b(?=[a-z0-9.]*[-.\d])[a-z0-9][a-z0-9.-]{2,62}\s+bucket\b(?!s))
  |(?P<place>\blogs?\s+(?:director(?:y|ies)|folders?|files?|dirs?)\b|\blogs\b
            |\b(?:temp|tmp|temporary)\s+(?:director(?:y|ies)|folders?|files?)\b)
""", re.IGNORECASE | re.VERBOSE)
_TABLE_PART = re.compile(r"[a-z_][a-z0-9_]*|\*", re.IGNORECASE)
_HOME = re.compile(r"^(/home/[^/]+|/Users/[^/]+|/root)(?=/|$)")
_GLOB = re.compile(r"[*?\[]")
_SPLIT = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class Root:
    """One resource a prompt names. `where`: named as the place to work in (in/under/only)."""

    kind: str           # path | place | table | bucket | url | id
    value: str
    where: bool = False

    @property
    def family(self) -> str:
        """The kind of target this root can hold."""
        return {"place": "path", "bucket": "object"}.get(self.kind, self.kind)

    def shown(self) -> str:
        if self.kind == "place":
            return f"{self.value} directories"
        return f"#{self.value}" if self.kind == "id" else self.value


@dataclass(frozen=True)
class Named:
    """What one text names: roots, hosts, whether it names secrets or restricts reading."""

    roots: tuple[Root, ...] = ()
    hosts: tuple[str, ...] = ()
    secrets_named: bool = False
    reads_exclusive: bool = False

    def __or__(self, other: "Named") -> "Named":
        return Named(tuple(dict.fromkeys(self.roots + other.roots)),
                     tuple(dict.fromkeys(self.hosts + other.hosts)),
                     self.secrets_named or other.secrets_named,
                     self.reads_exclusive or other.reads_exclusive)


# Task verbs the action taxonomy does not know (it names what tools do, not what people ask
# for): fixing a failing thing means editing and re-running it; drafting writes a draft.
TASK_VERBS: Mapping[str, frozenset[str]] = {
    **{w: frozenset({"write", "execute"}) for w in ("fix", "repair", "debug", "troubleshoot")},
    **{w: frozenset({"write"}) for w in (
        "tidy", "clean", "cleanup", "refactor", "reformat", "implement", "migrate", "change",
        "adjust", "correct", "draft", "rewrite", "replace", "bump", "upgrade", "commit",
        "apply", "update", "rotate")},
}


def verb_classes(word: str) -> frozenset[str]:
    """The action classes one word of a request names ('fix' -> write and execute, 'list'
    -> list); empty when it names none. Words are taken as written: plural nouns ('tags',
    'logs') are not verbs."""
    if word in TASK_VERBS:
        return TASK_VERBS[word]
    klass = classify_action(word)
    return frozenset() if klass == "other" else frozenset({klass})


# ----------------------------------------------------------------------------- reading text

def _clauses(text: str) -> Iterator[str]:
    start = 0
    for match in _CLAUSE_END.finditer(text):
        yield text[start:match.start()]
        start = match.end()
    yield text[start:]


def _words(text: str) -> list[str]:
    return [w.lower().replace("'", "") for w in _WORD.findall(text)]


def _negated_from(clause: str) -> int:
    """Offset where the clause turns negative ("don't touch ..."), or its length."""
    for match in _WORD.finditer(clause):
        word = match.group(0).lower().replace("'", "")
        if word in NEGATIONS:
            return match.start()
    return len(clause)


def without_resources(text: str) -> str:
    """The text with the resources it names blanked out, so that words inside names
    ('build-agent-03', 'tests/test_x.py') are not read as verbs."""
    return _TOKEN.sub(lambda m: " " if m.lastgroup != "place" else m.group(0), text)


def named_in_text(text: str) -> Named:
    """The roots, hosts and secret words a scope text names (see the module docstring)."""
    found = Named()
    for clause in _clauses(text):
        found = found | _named_in_clause(clause)
    return found


def _named_in_clause(clause: str) -> Named:
    negated_at = _negated_from(clause)
    only = bool(_ONLY.search(clause[:negated_at]))
    roots: list[Root] = []
    hosts: list[str] = []
    for match in _TOKEN.finditer(clause):
        before = _words(clause[max(0, match.start() - 24):match.start()])[-2:]
        if match.start() >= negated_at and not BOUNDARY_WORDS.intersection(before):
            continue                    # "do not read /etc/app": not a root
        placed = bool(WHERE_WORDS.intersection(before))
        where = only or placed
        for kind, value in _read_token(match, placed):
            if kind == "host":
                hosts.append(value.lower())
            else:
                roots.append(Root(kind, value, where and match.start() < negated_at))
    words = _words(clause[:negated_at])
    secrets = bool(SECRET_WORDS.intersection(words)) or any(
        all(w in words for w in phrase) for phrase in SECRET_PHRASES) or any(
        r.kind == "path" and is_secret_path(r.value) for r in roots)
    verbs = set().union(*(verb_classes(w) for w in words)) if words else set()
    exclusive = only and bool(roots) and bool(verbs) and verbs <= {"list", "read"}
    return Named(tuple(roots), tuple(hosts), secrets, exclusive)


def _read_token(match: re.Match[str], placed: bool) -> list[tuple[str, str]]:
    kind = match.lastgroup or ""
    value = match.group(0).rstrip(".:")
    if kind in ("url", "arn") and value.lower().startswith(STORAGE_PREFIXES):
        return [("bucket", _object_of(value))]
    if kind == "url":
        host = _host_of(value)
        return [("url", value)] + ([("host", host)] if host else [])
    if kind == "arn":
        return [("id", value)]
    if kind == "path":
        return _path_token(value, placed)
    if kind == "id":
        return [("id", _SPLIT.split(value.lower())[-1] or value)]
    if kind == "dotted":
        return _dotted_token(value)
    if kind == "host":
        return [("host", value.split()[-1].lower())]
    if kind == "bucket":
        name = value.split()[1] if value.lower().startswith("bucket") else value.split()[0]
        return [] if name.lower() in BUCKET_STOPWORDS else [("bucket", name.lower())]
    if kind == "place":
        noun = "log" if value.lower().startswith("log") else "temporary"
        return [("place", noun)]
    return []


def _path_token(value: str, placed: bool) -> list[tuple[str, str]]:
    if value.startswith(("/", "~", "./", "../")) or value.endswith("/"):
        return [("path", value)]
    last = value.rsplit("/", 1)[-1]
    has_extension = "." in last and last.rsplit(".", 1)[-1].lower() in FILE_EXTENSIONS
    return [("path", value)] if has_extension or placed else []   # not "and/or", "24/7"


def _dotted_token(value: str) -> list[tuple[str, str]]:
    labels = value.split(".")
    last = labels[-1].lower()
    if len(labels[0]) < 2 or not all(labels):
        return []
    if last in FILE_EXTENSIONS:
        framework = last == "js" and labels[0][:1].isupper()      # "Node.js", not a file
        return [] if framework else [("path", value)]
    if last in TLDS:
        return [("host", value.lower())]
    if len(labels) <= 3 and all(_TABLE_PART.fullmatch(label) for label in labels):
        return [("table", value.lower())]
    return []


def _host_of(url: str) -> str | None:
    rest = url.split("://", 1)[-1]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1].split(":")[0]
    return host.lower() or None


# ----------------------------------------------------------------------------- matching

def kind_of(target: str, target_type: str | None) -> str:
    """path | url | object | table | id: what kind of resource a step's target is."""
    if target_type in ("path", "url", "object", "table"):
        return target_type
    lowered = target.strip().lower()
    if lowered.startswith(STORAGE_PREFIXES):
        return "object"
    if lowered.startswith(("http://", "https://")):
        return "url"
    if "://" in lowered or lowered.startswith("arn:"):
        return "id"
    if lowered.startswith(("/", "~", "./", "../")) or re.match(r"^[a-z]:[\\/]", lowered):
        return "path"
    return "path" if target_type is None and "/" in lowered else "id"


def home_of(cwd: str | None) -> str | None:
    match = _HOME.match(cwd or "")
    return match.group(1) if match else None


@lru_cache(maxsize=65536)
def normal_path(path: str, cwd: str | None) -> str:
    """Absolute (or ~-anchored) where the cwd allows, glob tail cut, no trailing slash."""
    text = path.strip().replace("\\", "/")
    home = home_of(cwd)
    if text.startswith("~") and home:
        text = home + text[1:]
    if cwd and not text.startswith(("/", "~")):
        text = posixpath.join(cwd, text)
    kept = []
    for part in text.split("/"):
        if _GLOB.search(part):
            break
        kept.append(part)
    text = "/".join(kept)
    if not text:
        return "/" if path.startswith("/") else "."
    return posixpath.normpath(text)


def path_contains(root: str, target: str, strict: bool = False) -> bool:
    """Whether normalized `target` lies at or under normalized `root`. A relative target
    under an absolute root with no working directory to anchor it cannot be told apart:
    inside, unless `strict`."""
    if root == target or (root == "." and not strict):
        return True
    anchored_root, anchored_target = root.startswith(("/", "~")), target.startswith(("/", "~"))
    if anchored_root == anchored_target:
        return target.startswith(root.rstrip("/") + "/")
    if anchored_target:             # relative root, absolute target, no cwd to anchor them
        return f"/{root}/" in target + "/"
    return not strict


def _place_holds(noun: str, target: str, list_ancestor: bool) -> bool:
    directory, names, suffixes = PLACES[noun]
    parts = target.split("/")
    if names.intersection(parts) or (suffixes and target.endswith(suffixes)):
        return True
    return path_contains(directory, target) or (list_ancestor and
                                                path_contains(target, directory, True))


def _object_of(target: str) -> str:
    """'bucket/key' of an s3:// / gs:// URI or an S3 ARN (lower case)."""
    lowered = target.lower()
    for prefix in STORAGE_PREFIXES:
        if lowered.startswith(prefix):
            return lowered[len(prefix):]
    return lowered


def root_holds(root: Root, kind: str, target: str, cwd: str | None,
               list_ancestor: bool = False, root_cwd: str | None = None) -> bool:
    """Whether a target of `kind` lies under `root`: the target's relative paths resolve
    against `cwd` (the step's), the root's against `root_cwd` (where the prompt was given;
    default `cwd`). Listing an ancestor of a directory root counts when `list_ancestor`."""
    if root.family != kind:
        return False
    if root.kind == "place":
        return _place_holds(root.value, normal_path(target, cwd), list_ancestor)
    if root.kind == "path":
        wanted = normal_path(root.value, root_cwd or cwd)
        got = normal_path(target, cwd)
        return path_contains(wanted, got) or (list_ancestor and
                                              path_contains(got, wanted, True))
    if root.kind == "table":
        name = target.strip().strip('"`[]').lower()
        return fnmatchcase(name, root.value) or fnmatchcase(name, "*." + root.value)
    if root.kind == "bucket":
        held = _object_of(target)
        return fnmatchcase(held, root.value) or fnmatchcase(held, root.value.rstrip("/") + "/*")
    if root.kind == "url":
        return target.lower().startswith(root.value.lower().rstrip("/"))
    return root.value.lower() in _SPLIT.split(target.lower())      # id


# ----------------------------------------------------------------------------- the scope

@dataclass(frozen=True)
class ResourceScope:
    """The resource half of an inferred envelope. `closed`: the roots come from the human's
    task, so paths, tables and buckets must lie under one of them whatever their kind."""

    named: Named = field(default_factory=Named)
    cwd: str | None = None
    closed: bool = False
    read_roots: tuple[Root, ...] = ()
    write_roots: tuple[Root, ...] = ()

    @classmethod
    def build(cls, named: Named, cwd: str | None = None, closed: bool = False
              ) -> "ResourceScope":
        roots = named.roots
        cwd_root = (Root("path", cwd, where=True),) if cwd else ()
        reads = roots + (() if named.reads_exclusive else cwd_root)
        writes = tuple(r for r in roots if r.where) or roots or cwd_root
        return cls(named, cwd, closed, tuple(dict.fromkeys(reads)), writes)

    def with_cwd(self, cwd: str | None) -> "ResourceScope":
        return self if not cwd or cwd == self.cwd else ResourceScope.build(
            self.named, cwd, self.closed)

    @property
    def secrets_named(self) -> bool:
        return self.named.secrets_named

    def names_url(self, target: str | None) -> bool:
        return bool(target) and any(root_holds(r, "url", str(target), None)
                                    for r in self.named.roots if r.kind == "url")

    def outside(self, action_class: str, target: str | None, tool: str | None,
                call: Any = None) -> str | None:
        """Why the step's target (or host) is outside this scope, or None."""
        if action_class in UNCHECKED:
            return None
        attrs = getattr(call, "attrs", None) or {}
        kind = kind_of(target, getattr(call, "target_type", None)) if target else ""
        if target and not self.secrets_named and is_secret(target, kind, tool):
            return f"{target} is a secret or credential store, and the prompt names none"
        host = _step_host(attrs)
        if host and self.named.hosts and not _host_named(host, self.named.hosts):
            return (f"host {host} is not among the hosts the prompt names "
                    f"({', '.join(self.named.hosts)})")
        if not target:
            return None
        changing = action_class in CHANGING
        roots = self.write_roots if changing else self.read_roots
        if not self._checked(kind, roots):
            return None
        cwd = str(attrs.get("cwd") or self.cwd or "") or None
        ancestor = action_class == "list"
        if any(root_holds(root, kind, target, cwd, ancestor, self.cwd) for root in roots):
            return None
        if changing:
            return (f"a change to {target} lies outside the places the prompt allows changes "
                    f"in ({_listed(roots, self.cwd)})")
        return (f"{KIND_NAMES.get(kind, kind)} {target} lies outside the resources in scope "
                f"({_listed(roots, self.cwd)})")

    def _checked(self, kind: str, roots: tuple[Root, ...]) -> bool:
        if not roots:
            return False
        if any(root.family == kind for root in roots):
            return True
        return self.closed and bool(self.named.roots) and kind in CLOSED_KINDS

    def shown(self) -> list[str]:
        return [r.shown() for r in self.read_roots] + [f"host {h}" for h in self.named.hosts]


def _listed(roots: tuple[Root, ...], cwd: str | None, limit: int = 4) -> str:
    shown = ["the working directory " + r.value if r.value == cwd and r.kind == "path"
             else r.shown() for r in roots]
    more = f" and {len(shown) - limit} more" if len(shown) > limit else ""
    return ", ".join(_short(s) for s in shown[:limit]) + more


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _step_host(attrs: Mapping[str, Any]) -> str | None:
    arguments = attrs.get("arguments")
    if not isinstance(arguments, dict):
        return None
    for key in HOST_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip().lower()
    return None


def _host_named(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == h or host.startswith(h + ".") or h.startswith(host + ".")
               for h in hosts)


def merged(first: "ResourceScope | None", named: Named, cwd: str | None,
           closed: bool) -> ResourceScope:
    """A scope from `named` (the task's words) over `first` (the agent's own scope): the
    task's roots replace the agent's when it names any; secret words of either count."""
    if first is None:
        return ResourceScope.build(named, cwd, closed)
    if named.roots:
        base = replace(named, secrets_named=named.secrets_named or first.secrets_named,
                       hosts=named.hosts or first.named.hosts)
        return ResourceScope.build(base, cwd, closed)
    base = replace(first.named, secrets_named=named.secrets_named or first.secrets_named,
                   hosts=named.hosts or first.named.hosts)
    return ResourceScope.build(base, cwd, first.closed)
