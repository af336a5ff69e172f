"""Command rules for the network: downloads and uploads with their destination host (curl,
wget, HTTPie, PowerShell web cmdlets, certutil, BITS, scp / rsync / rclone, nc / socat),
remote shells (ssh, telnet, Invoke-Command) and mail.

An upload names what it sends (a file, stdin from an earlier command, inline data); files
and text that leave are collected for the payload check. A chat webhook host makes the
transfer a message-send; a paste site makes it public.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import urlsplit

from .command_context import Step, host_class, host_of, is_public_host, names_production, \
    rule, urls_in

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_REMOTE = re.compile(r"^(?:([\w.+-]+)@)?([A-Za-z0-9][\w.-]*|\[[0-9a-fA-F:]+\]):(?!//)(.*)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def send(step: Step, host: str | None, detail: str | None, method: str | None = None) -> None:
    """Data sent to a host: an upload, or a message when the host is a chat webhook."""
    klass = host_class(host)
    kind = "message-send" if klass == "chat-webhook" else "upload"
    step.add(kind, host, where=klass, direction="out", public=is_public_host(host),
             detail=" ".join(p for p in (method, detail) if p) or None)


def fetch(step: Step, host: str | None, detail: str | None = None) -> None:
    step.add("download", host, where=host_class(host), direction="in", detail=detail)


def _source(step: Step, value: str, kind: str) -> str:
    """Collect what a data option sends; a short description of it."""
    if value in ("@-", "-", "<-") or (kind == "file" and value == "-"):
        return _stdin_source(step)
    if kind == "file" or (value.startswith("@") and kind == "data"):
        path = value[1:] if value.startswith(("@", "<")) else value
        step.path_effect("file-read", path)
        shown = step.path(path).path
        step.got.sends.append(shown)
        return f"file {shown}"
    step.got.sends_text.append(value)
    return "inline data"


def _stdin_source(step: Step) -> str:
    text = step.stdin_text()
    if text is not None:
        step.got.sends_text.append(text)
        return "text from stdin"
    path = step.stdin_file()
    if path:
        step.got.sends.append(path)
        return f"stdin: {path}"
    upstream = step.upstream
    if upstream is not None and upstream.kind == "environment":
        return "stdin: the environment"
    command = step.upstream_command
    return f"stdin: output of {command.argv[0]}" if command is not None else "stdin"


# ----------------------------------------------------------------------------- HTTP clients

_CURL_DATA = ("-d", "--data-binary", "--data-ascii", "--data-urlencode", "--json")


@rule("curl")
def curl(step: Step) -> None:
    args = step.args
    urls = args.values("--url") + [w for w in step.operands if "://" in w or _hostlike(w)]
    if not urls:
        return
    host = host_of(urls[0])
    sent: list[str] = []
    for value in args.values(*_CURL_DATA):
        sent.append(_source(step, value, "data"))
    for value in args.values("--data-raw"):
        sent.append(_source(step, value, "text"))
    for value in args.values("-F", "--form-string"):
        name, _, item = value.partition("=")
        file = item[1:] if item.startswith(("@", "<")) else None
        sent.append(_source(step, file, "file") if file else _source(step, item, "text"))
    for value in args.values("-T"):
        sent.append(_source(step, value, "file"))
    method = (args.value("-X") or "").upper() or ("HEAD" if args.has("-I") else None)
    if sent and not args.has("-G"):
        send(step, host, "; ".join(dict.fromkeys(sent)), method)
    else:
        fetch(step, host, f"{method} request" if method and method != "GET" else None)
    _outputs(step, urls[0], host, args.values("-o"), args.has("-O"), args.value("--output-dir"))


def _hostlike(word: str) -> bool:
    return bool(re.match(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:/\S*)?$", word)) \
        and not re.search(r"\.(?:py|sh|txt|json|md|js|ts|csv|log|yml|yaml|toml)$", word)


def _outputs(step: Step, url: str, host: str | None, outputs: list[str], remote_name: bool,
             directory: str | None = None) -> None:
    files = [o for o in outputs if o != "-"]
    if remote_name:
        name = posixpath.basename(urlsplit(url if "://" in url else "//" + url).path) or "index"
        files.append(posixpath.join(directory, name) if directory else name)
    for path in files:
        step.write(path, None, f"downloaded from {host}")
        step.got.downloaded[step.path(path).path] = host or url
    if not files:
        step.output("download", host)


@rule("wget")
def wget(step: Step) -> None:
    args = step.args
    urls = [w for w in step.operands if "://" in w or _hostlike(w)]
    if not urls:
        return
    host = host_of(urls[0])
    sent = [_source(step, v, "file") for v in args.values("--post-file", "--body-file")]
    sent += [_source(step, v, "text") for v in args.values("--post-data", "--body-data")]
    method = (args.value("--method") or "").upper() or None
    if sent:
        send(step, host, "; ".join(sent), method or "POST")
        step.output("download", host)
        return
    fetch(step, host)
    target = args.value("-O")
    if target == "-":
        step.output("download", host)
        return
    if target:
        _outputs(step, urls[0], host, [target], False)
        return
    _outputs(step, urls[0], host, [], True, args.value("-P"))


@rule("httpie")
def httpie(step: Step) -> None:
    words = list(step.operands)
    method = words.pop(0).upper() if words and words[0].upper() in _METHODS else None
    if not words:
        return
    url, items = words[0], words[1:]
    host = host_of(url if "://" in url else "//" + url)
    sent: list[str] = []
    for item in items:
        match = re.match(r"^([^=:@]*)(:=@|=@|@|:=|==|=|:)(.*)$", item)
        if not match or match.group(2) in ("==", ":"):
            continue
        if "@" in match.group(2):
            sent.append(_source(step, match.group(3), "file"))
        else:
            sent.append(_source(step, match.group(3), "text"))
    if step.stdin_kind() is not None:
        sent.append(_stdin_source(step))
    if sent or (method in _BODY_METHODS):
        send(step, host, "; ".join(sent) or None, method or "POST")
    else:
        fetch(step, host, f"{method} request" if method and method != "GET" else None)
    if step.args.has("-d"):
        _outputs(step, url, host, step.args.values("-o"), not step.args.has("-o"))
    else:
        step.output("download", host)


@rule("ps_web")
def ps_web(step: Step) -> None:
    args = step.args
    if step.program == "start-bitstransfer":
        source, dest = args.value("-source"), args.value("-destination")
        if source and "://" in source:
            fetch(step, host_of(source), "BITS")
            if dest:
                step.write(dest, None, f"downloaded from {host_of(source)}")
        elif dest and "://" in dest and source:
            send(step, host_of(dest), _source(step, source, "file"), "BITS")
        return
    url = args.value("-uri") or next((w for w in step.operands if "://" in w), None)
    if not url:
        return
    host = host_of(url)
    method = (args.value("-method") or "").upper() or None
    sent = [_source(step, v, "file") for v in args.values("-infile")]
    body = args.value("-body")
    if body is not None:
        sent.append("data from a variable" if body.startswith("$") else _source(step, body, "text"))
    if sent or method in _BODY_METHODS:
        send(step, host, "; ".join(sent) or None, method or "POST")
    else:
        fetch(step, host, f"{method} request" if method and method != "GET" else None)
    outfile = args.value("-outfile")
    if outfile:
        _outputs(step, url, host, [outfile], False)
    else:
        step.output("download", host)


@rule("certutil")
def certutil(step: Step) -> None:
    urls = urls_in(step.operands)
    if not urls:
        return
    host = host_of(urls[0])
    fetch(step, host, "certutil -urlcache")
    rest = [o for o in step.operands if o not in urls]
    _outputs(step, urls[0], host, rest[:1], not rest)


@rule("bits")
def bits(step: Step) -> None:
    urls = urls_in(step.operands)
    local = [o for o in step.operands[1:] if o not in urls]
    if not urls:
        return
    host = host_of(urls[0])
    if step.args.has("/upload"):
        send(step, host, _source(step, local[0], "file") if local else None, "BITS")
        return
    fetch(step, host, "bitsadmin /transfer")
    _outputs(step, urls[0], host, local[-1:], False)


# ----------------------------------------------------------------------------- copies

@rule("remote_copy")
def remote_copy(step: Step) -> None:
    operands = list(step.operands)
    if step.program == "rclone":
        _rclone(step, operands)
        return
    if len(operands) < 2:
        return
    sources, dest = operands[:-1], operands[-1]
    dest_remote = _remote(dest)
    for source in sources:
        remote = _remote(source)
        if remote and not dest_remote:
            step.add("download", remote[0], where=host_class(remote[0]), direction="in",
                     detail=f"{step.program} {remote[1]}", production=names_production(remote[0]))
            step.write(dest, None, f"copied from {remote[0]}")
        elif dest_remote and not remote:
            detail = _source(step, source, "file")
            step.add("upload", dest_remote[0], where=host_class(dest_remote[0]), direction="out",
                     public=is_public_host(dest_remote[0]), production=names_production(
                         dest_remote[0]), detail=f"{step.program} {detail} to {dest_remote[1]}")
        elif not remote and not dest_remote:
            step.path_effect("file-read", source)
            step.write(dest, None, step.program)
    if step.args.has("--delete", "--delete-after", "--delete-before", "--delete-during"):
        if dest_remote:
            step.add("cloud-delete", dest, detail=f"{step.program} --delete")
        else:
            step.path_effect("file-delete", dest, f"{step.program} --delete")


def _remote(word: str) -> tuple[str, str] | None:
    """(host, path) of `user@host:path` or `rsync://host/path`; None for a local path."""
    if word.startswith("rsync://") or word.startswith("ssh://"):
        parsed = urlsplit(word)
        return (parsed.hostname or "", parsed.path) if parsed.hostname else None
    if re.match(r"^[A-Za-z]:[\\/]", word) or word.startswith(("/", "./", "../", "~")):
        return None
    match = _REMOTE.match(word)
    return (match.group(2).strip("[]"), match.group(3)) if match else None


def _rclone(step: Step, operands: list[str]) -> None:
    if not operands:
        return
    verb, rest = operands[0], operands[1:]
    remotes = [r for r in rest if re.match(r"^[\w.-]+:", r) and not re.match(r"^[A-Za-z]:", r)]
    if verb in ("delete", "deletefile", "purge", "rmdir", "rmdirs", "cleanup"):
        for remote in remotes:
            step.add("cloud-delete", remote, detail=f"rclone {verb}")
        return
    if verb not in ("copy", "sync", "move", "copyto", "moveto", "bisync", "copyurl") \
            or len(rest) < 2:
        return
    source, dest = rest[0], rest[-1]
    if dest in remotes and source not in remotes:
        detail = _source(step, source, "file")
        step.add("upload", dest.split(":")[0], direction="out", detail=f"rclone {verb} {detail}",
                 production=names_production(dest))
    elif source in remotes:
        step.add("download", source.split(":")[0], direction="in", detail=f"rclone {verb}",
                 production=names_production(source))
        step.write(dest, None, f"rclone {verb}")


# ----------------------------------------------------------------------------- sockets

@rule("netcat")
def netcat(step: Step) -> None:
    args = step.args
    operands = list(step.operands)
    if step.program == "telnet":
        if operands:
            step.add("remote-exec", operands[0], production=names_production(operands[0]),
                     detail="telnet")
        return
    if step.program == "socat":
        _socat(step, operands)
        return
    if args.has("-z"):
        return
    shell = args.value("-e", "-c")
    if args.has("-l"):
        if shell:
            step.add("remote-exec", "listening socket", detail=f"serves {shell} to the network")
        return
    if not operands:
        return
    host = operands[0]
    if shell:
        step.add("remote-exec", host, detail=f"sends a {shell} shell to {host}")
    elif step.stdin_kind() is not None:
        send(step, host, _stdin_source(step))
    else:
        fetch(step, host, "raw connection")


def _socat(step: Step, operands: list[str]) -> None:
    addresses = [o.upper() for o in operands]
    network = next((o for o in operands if re.match(r"(?i)^(tcp|udp|openssl|ssl)[46]?[:-]",
                                                     o)), None)
    if network is None:
        return
    host = network.split(":")[1] if network.count(":") >= 1 else network
    if any(a.startswith(("EXEC:", "SYSTEM:")) for a in addresses):
        step.add("remote-exec", host, detail="socat runs a program for the network")
    elif step.stdin_kind() is not None or any(a.startswith(("OPEN:", "FILE:", "GOPEN:"))
                                              for a in addresses):
        send(step, host, _stdin_source(step), "socat")
    else:
        fetch(step, host, "socat")


@rule("ssh")
def ssh(step: Step) -> None:
    operands = list(step.operands)
    if not operands:
        return
    host = operands[0].rsplit("@", 1)[-1]
    command = " ".join(operands[1:])
    production = names_production(host)
    tunnel = step.args.has("-L", "-R", "-D", "-W")
    detail = "tunnel" if tunnel and not command else (command[:60] or "interactive shell")
    step.add("remote-exec", host, detail=detail, production=production)
    if step.stdin_kind() is not None:
        send(step, host, _stdin_source(step), "ssh")
    if re.search(r"authorized_keys|crontab|\.bashrc|\.profile|systemctl\s+enable", command):
        step.add("persistence-write", f"{host}:{_remote_target(command)}",
                 detail="on a remote host", production=production)


def _remote_target(command: str) -> str:
    match = re.search(r"(~?/?[\w./-]*(?:authorized_keys|\.bashrc|\.profile)|crontab|"
                      r"systemctl\s+enable\s+\S+)", command)
    return match.group(1) if match else "startup"


@rule("ssh_like")
def ssh_like(step: Step) -> None:
    operands = [o for o in step.operands if not o.startswith("-")]
    if not operands:
        return
    host = operands[0].rsplit("@", 1)[-1].split(":")[0]
    script = (step.stdin_text() or "").lower()
    if re.search(r"^\s*get\s", script, re.MULTILINE) and not re.search(r"^\s*put\s", script,
                                                                        re.MULTILINE):
        fetch(step, host, f"{step.program} get")
        return
    send(step, host, f"{step.program} session" + ("" if script else " (direction unknown)"))


@rule("ps_iex")
def ps_iex(step: Step) -> None:
    """Invoke-Expression of code fetched in the same expression (a download cradle)."""
    for url in urls_in(step.cmd.argv[1:]):
        host = host_of(url)
        fetch(step, host, "fetched for Invoke-Expression")
        step.add("opaque-execution", host, detail=f"runs code downloaded from {host}")
    upstream = step.upstream
    if upstream is not None and upstream.kind == "download":
        step.add("opaque-execution", upstream.what,
                 detail=f"runs code downloaded from {upstream.what}")


@rule("ps_remote")
def ps_remote(step: Step) -> None:
    computer = step.args.value("-computername", "-cn", "-session")
    if computer:
        step.add("remote-exec", computer, detail="Invoke-Command",
                 production=names_production(computer))


@rule("mail")
def mail(step: Step) -> None:
    args = step.args
    recipients = [o for o in step.operands if _EMAIL.match(o.strip("<>,"))]
    recipients += args.values("--to", "-t", "-to")
    for attachment in args.values("-a", "-A", "--attach", "-attachments"):
        if step.program in ("mail", "mailx") and args.has("-a") and ":" in attachment:
            continue                                    # mailx -a "Header: value"
        _source(step, attachment, "file")
    if args.has("-bv", "--version", "--help", "-V", "-v") or (
            not recipients and step.stdin_kind() is None and not args.has("-t")):
        return
    body = args.value("--body", "-body")
    if body:
        _source(step, body, "file" if step.program == "swaks" and "/" in body or
                body.endswith(".txt") else "text")
    if step.stdin_kind() is not None:
        _stdin_source(step)
    step.add("message-send", ", ".join(recipients) or "(recipients in the message)",
             where="email", direction="out", detail=f"email by {step.program}")
