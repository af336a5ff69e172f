"""Command rules for version control: git (push, force push, remote deletes, history
rewrites, clean, config that runs programs) and the GitHub CLI (publishing, gists, the API).
"""

from __future__ import annotations

import re

from .command_context import Step, host_of, names_production, rule

_COMMITISH = re.compile(r"^(?:(?:HEAD|@)(?:[~^]\d*)+|[0-9a-f]{7,40}|(?:origin|upstream)/\S+"
                        r"|ORIG_HEAD|FETCH_HEAD|\S+[~^]\d*)$")
_RUNS_PROGRAMS = re.compile(r"(?i)^(core\.(hookspath|fsmonitor|sshcommand|gitproxy|askpass)|"
                            r"credential\.helper|include\.path|includeif\..*|"
                            r"filter\..*\.(clean|smudge|process)|diff\.external|"
                            r"diff\..*\.textconv|uploadpack\.packobjectshook)$")
_CONFIG_READS = ("--get", "--get-all", "--get-regexp", "--list", "-l", "--get-urlmatch",
                 "--show-origin", "--name-only")
_GH_PUBLISHING = re.compile(r"(?:^|/)(?:gists|issues|comments|pulls|releases|discussions|"
                            r"reviews)(?:/|$)")


def special_object(spec: str, step: Step) -> str | None:
    if spec == "$git-remote":
        rest = [w for w in step.operands[1:] if not w.startswith("-")]
        return rest[0] if rest else "(default remote)"
    if spec == "$gh-repo":
        return step.args.value("-R", "--repo") or "(current repository)"
    return None


# ----------------------------------------------------------------------------- git

@rule("git_push")
def git_push(step: Step) -> None:
    args = step.args
    if args.has("-n"):
        return                                            # --dry-run
    words = step.operands[1:]
    remote = args.value("--repo") or (words[0] if words else "(default remote)")
    refspecs: list[str | None] = list(words[1:]) or [None]
    if args.has("--all", "--branches", "--mirror"):
        refspecs = ["(all branches)"]
    elif args.has("--tags") and not words[1:]:
        refspecs = ["(tags)"]
    force = next((name.lstrip("-") for name in ("--force-with-lease", "--force-if-includes",
                                                "-f", "--mirror") if args.has(name)), None)
    production = names_production(remote)
    for refspec in refspecs:
        plus = bool(refspec and refspec.startswith("+"))
        source, colon, dest = (refspec or "").lstrip("+").partition(":")
        branch = re.sub(r"^refs/(?:heads|tags)/", "", dest if colon else source) or \
            "(current branch)"
        obj = f"{remote} {branch}"
        if args.has("-d") or (colon and not source):
            step.add("vcs-remote-delete", obj, direction="out", production=production,
                     detail="remote branch deleted")
        elif force or plus:
            step.add("vcs-force-push", obj, direction="out", production=production,
                     detail={"f": "force"}.get(force or "", force) if force else "+refspec")
        else:
            step.add("vcs-push", obj, direction="out", production=production)
    if args.has("--prune"):
        step.add("vcs-remote-delete", f"{remote} (branches missing locally)", direction="out",
                 detail="prune", production=production)


@rule("git_reset")
def git_reset(step: Step) -> None:
    args = step.args
    operands = step.operands[1:]
    mode = next((m for m in ("--hard", "--merge", "--keep", "--soft", "--mixed")
                 if args.has(m)), None)
    moved = any(_COMMITISH.match(o) and o != "HEAD" for o in operands[:1])
    if mode in ("--hard", "--merge", "--keep") or moved:
        step.add("vcs-history-rewrite", step.path(".").path,
                 detail=f"reset {mode or ''} {operands[0] if operands else ''}".replace(
                     "  ", " ").strip())


@rule("git_clean")
def git_clean(step: Step) -> None:
    args = step.args
    if args.has("-n") or not args.has("-f", "-i"):
        return
    what = ["untracked files"]
    if args.has("-d"):
        what.append("directories")
    if args.has("-x", "-X"):
        what.append("ignored files")
    paths = step.operands[1:] or ["."]
    for path in paths:
        step.path_effect("file-delete", path, ", ".join(what))


@rule("git_clone")
def git_clone(step: Step) -> None:
    operands = step.operands[1:]
    if not operands:
        return
    source = operands[0]
    host = _git_host(source)
    if host:
        step.add("download", host, direction="in", detail="git clone")
    else:
        step.path_effect("file-read", source, "git clone")
    name = operands[1] if len(operands) > 1 else re.sub(r"\.git$", "", re.split(
        r"[/:]", source.rstrip("/"))[-1] or "repository")
    step.write(name, None, "cloned repository")


def _git_host(source: str) -> str | None:
    if "://" in source:
        return host_of(source)
    match = re.match(r"^(?:[\w.-]+@)?([\w.-]+\.[\w.-]+):(?!/)", source)
    return match.group(1) if match else None


@rule("git_config")
def git_config(step: Step) -> None:
    args = step.args
    operands = step.operands[1:]
    if args.has("--global"):
        target = "~/.gitconfig"
    elif args.has("--system"):
        target = "/etc/gitconfig"
    else:
        target = args.value("--file", "-f") or ".git/config"
    reading = args.has(*_CONFIG_READS) or len(operands) < 2 and not args.has(
        "--unset", "--unset-all", "--add", "--replace-all", "--remove-section")
    if reading:
        step.path_effect("file-read", target, listing=True)
        return
    key = operands[0] if operands else ""
    shell_alias = key.lower().startswith("alias.") and " ".join(operands[1:]).startswith("!")
    if _RUNS_PROGRAMS.match(key) or shell_alias:
        klass = step.path(target)
        step.add("persistence-write", klass.path, where=klass.kind,
                 detail=f"git config {key} runs a program: {' '.join(operands[1:])[:60]}")
        return
    step.write(target, None, f"git config {key}")


@rule("git_read")
def git_read(step: Step) -> None:
    """Read-only git: a read of the repository (and of a file shown from history)."""
    if len(step.got.effects) > step.before:
        return
    sub = step.operands[0] if step.operands else ""
    if sub in ("show", "cat-file"):
        for operand in step.operands[1:]:
            _, colon, path = operand.partition(":")
            if colon and path:
                step.path_effect("file-read", path, "from git history")
                return
    step.path_effect("file-read", ".", f"git {sub}", listing=True)
    step.output("program", "git")


# ----------------------------------------------------------------------------- GitHub CLI

@rule("gh_gist")
def gh_gist(step: Step) -> None:
    files = [o for o in step.operands[2:]]
    public = step.args.has("-p", "--public")
    for path in files:
        if path == "-":
            continue
        step.path_effect("file-read", path)
        step.got.sends.append(step.path(path).path)
    text = step.stdin_text()
    if text:
        step.got.sends_text.append(text)
    if "-" in files or not files:
        upstream = step.upstream
        if upstream is not None and upstream.kind == "file" and upstream.what:
            step.got.sends.append(upstream.what)
    step.add("publish", "gist", public=public, direction="out",
             detail="public gist" if public else "secret gist")


@rule("gh_repo_create")
def gh_repo_create(step: Step) -> None:
    name = step.operands[2] if len(step.operands) > 2 else "(new repository)"
    public = step.args.has("-p", "--public") or step.args.value("--visibility") == "public"
    step.add("publish", name, public=public, direction="out",
             detail="public repository" if public else "repository")


@rule("gh_api")
def gh_api(step: Step) -> None:
    args = step.args
    endpoint = next((o for o in step.operands[1:]), "")
    fields = args.values("-F", "-f")
    method = (args.value("-X") or ("POST" if fields or args.has("--input") else "GET")).upper()
    obj = f"github:{endpoint}"
    if fields:
        step.got.sends_text.append("\n".join(fields))
    if method in ("GET", "HEAD"):
        step.add("cloud-read", obj, direction="in")
    elif method == "DELETE":
        kind = "vcs-remote-delete" if re.search(r"git/refs|/branches/", endpoint) or \
            re.fullmatch(r"/?repos/[^/]+/[^/]+", endpoint) else "cloud-delete"
        step.add(kind, obj, direction="out")
    elif _GH_PUBLISHING.search(endpoint):
        public = "public=true" in fields or "public=True" in fields
        step.add("publish", obj, public=public and "gists" in endpoint, direction="out",
                 detail=f"gh api {method}")
    else:
        step.add("cloud-write", obj, direction="out", detail=f"gh api {method}")


@rule("gh_read")
def gh_read(step: Step) -> None:
    if len(step.got.effects) > step.before:
        return
    words = step.operands
    if len(words) >= 2 and words[1] in ("create", "edit", "delete", "merge", "close", "comment",
                                        "review", "upload", "set", "run", "rerun", "cancel",
                                        "enable", "disable", "reopen", "transfer", "lock",
                                        "archive", "rename", "sync", "fork"):
        step.add("cloud-write", f"github:{' '.join(words[:2])}", direction="out",
                 detail=f"gh {' '.join(words[:2])}")
        return
    step.add("download", "github.com", direction="in", detail=f"gh {' '.join(words[:2])}")
