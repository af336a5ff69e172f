"""Command rules for clusters, infrastructure-as-code, containers and databases: kubectl,
helm, terraform, pulumi, docker, psql / mysql / sqlite3 / mongosh / redis-cli."""

from __future__ import annotations

import re

from .command_cloud import LOCAL_VERBS, sql_classes, verb_class
from .command_context import Step, host_of, rule

_KUBE_READ = frozenset({"get", "describe", "logs", "top", "explain", "api-resources",
                        "api-versions", "version", "cluster-info", "diff", "events", "wait"})
_KUBE_REMOTE = frozenset({"exec", "attach", "debug", "port-forward", "proxy"})
_KUBE_OUTPUTS = re.compile(r"^(yaml|json|jsonpath.*|go-template.*|template.*|custom-columns.*)$")
_REDIS_DELETE = frozenset({"flushall", "flushdb", "del", "unlink", "hdel", "srem", "zrem",
                           "lrem", "expire", "getdel"})
_REDIS_READ = frozenset({"get", "mget", "keys", "scan", "ping", "info", "hget", "hgetall",
                         "smembers", "lrange", "zrange", "exists", "ttl", "type", "dbsize",
                         "monitor", "config", "client", "slowlog", "memory", "hkeys"})
_PRIVILEGED_RUN = re.compile(r"^(?:--privileged|--pid=host|--net=host|--network=host|"
                             r"--cap-add=(?:all|sys_admin)|--userns=host)$", re.IGNORECASE)
_MONGO = re.compile(r"\.(find|findOne|count\w*|aggregate|distinct|insert\w*|update\w*|"
                    r"replace\w*|delete\w*|remove|drop\w*|bulkWrite|createIndex)\s*\(")


# ----------------------------------------------------------------------------- kubernetes

@rule("kubectl")
def kubectl(step: Step) -> None:
    words = step.operands
    if not words or words[0] in LOCAL_VERBS or words[0] == "kustomize":
        return
    verb, rest = words[0], words[1:]
    resource = rest[0] if rest else step.args.value("-f") or ""
    name = rest[1] if len(rest) > 1 else ""
    obj = f"k8s:{resource}" + (f"/{name}" if name else "")
    production = step.production(resource, name, step.args.value("--kubeconfig"))
    if verb == "config":
        _kube_config(step, rest)
        return
    if verb in _KUBE_REMOTE:
        step.add("remote-exec", f"k8s:{resource}", production=production, detail=f"kubectl {verb}")
        return
    if verb == "cp" and len(rest) >= 2:
        _kube_copy(step, rest[0], rest[1], production)
        return
    if re.match(r"^secrets?(?:/|$)", resource):
        output = step.args.value("-o") or ""
        if verb == "get" and _KUBE_OUTPUTS.match(output):
            step.add("credential-read", obj, production=production, detail=f"secret as {output}")
            step.output("environment", obj, True)
            return
    if verb == "create" and resource == "token":
        step.add("credential-read", obj, production=production, detail="service account token")
        return
    klass = "read" if verb in _KUBE_READ else ("read" if verb == "rollout" and rest and rest[0]
                                                in ("status", "history") else None)
    klass = klass or verb_class(verb) or "write"
    step.add({"read": "cloud-read", "delete": "cloud-delete"}.get(klass, "cloud-write"), obj,
             production=production)


def _kube_config(step: Step, rest: list[str]) -> None:
    sub = rest[0] if rest else ""
    if sub == "view" and step.args.has("--raw"):
        step.add("credential-read", "~/.kube/config", where="credential-store",
                 detail="kubeconfig with credentials")
    elif sub in ("use-context", "set-context", "set-credentials", "set-cluster", "set",
                 "delete-context", "rename-context"):
        if sub == "use-context" and len(rest) > 1:
            step.got.context["kube context"] = rest[1]
        step.write("~/.kube/config", None, f"kubectl config {sub}")
    else:
        step.path_effect("file-read", "~/.kube/config", listing=True)


def _kube_copy(step: Step, source: str, dest: str, production: bool) -> None:
    if ":" in dest and not re.match(r"^[A-Za-z]:", dest):
        step.path_effect("file-read", source)
        step.got.sends.append(step.path(source).path)
        step.add("upload", f"k8s:{dest.split(':')[0]}", production=production, direction="out",
                 detail=f"kubectl cp {source}")
    elif ":" in source:
        step.add("cloud-read", f"k8s:{source.split(':')[0]}", production=production,
                 direction="in", detail="kubectl cp")
        step.write(dest, None, "copied from a pod")


@rule("helm")
def helm(step: Step) -> None:
    words = step.operands
    if not words or words[0] in LOCAL_VERBS:
        return
    verb = words[0]
    release = words[1] if len(words) > 1 else ""
    obj = f"helm:{release}" if release else "helm"
    production = step.production(release)
    if verb in ("install", "upgrade", "rollback"):
        step.add("cloud-write", obj, production=production, detail=f"helm {verb}")
    elif verb in ("uninstall", "delete", "del", "un"):
        step.add("cloud-delete", obj, production=production, detail=f"helm {verb}")
    elif verb in ("list", "ls", "status", "get", "history", "show", "search"):
        step.add("cloud-read", obj, production=production, detail=f"helm {verb}")


# ----------------------------------------------------------------------------- IaC

@rule("terraform")
def terraform(step: Step) -> None:
    words = step.operands
    if not words:
        return
    verb, rest = words[0], words[1:]
    args = step.args
    if verb == "workspace" and len(rest) >= 2 and rest[0] in ("select", "new"):
        step.got.context["terraform workspace"] = rest[1]
        return
    where = args.value("-chdir") or step.path(".").path
    workspace = step.got.context.get("terraform workspace") or step.cmd.env_value("TF_WORKSPACE")
    obj = f"terraform:{workspace or where}"
    production = step.production(where, *args.values("-var-file"), workspace)
    if verb == "destroy" or (verb == "apply" and args.has("-destroy")):
        step.add("cloud-delete", obj, production=production, detail="terraform destroy")
    elif verb in ("apply", "import", "taint", "untaint", "refresh"):
        step.add("cloud-write", obj, production=production, detail=f"terraform {verb}")
    elif verb == "state":
        sub = rest[0] if rest else ""
        if sub in ("rm", "replace-provider"):
            step.add("cloud-delete", obj, production=production, detail=f"terraform state {sub}")
        elif sub in ("mv", "push"):
            step.add("cloud-write", obj, production=production, detail=f"terraform state {sub}")
        elif sub == "pull":
            step.add("credential-read", obj, production=production,
                     detail="terraform state (holds secrets)")
        else:
            step.add("cloud-read", obj, production=production, detail=f"terraform state {sub}")
    elif verb in ("plan", "show", "output", "graph"):
        step.add("cloud-read", obj, production=production, detail=f"terraform {verb}")


@rule("pulumi")
def pulumi(step: Step) -> None:
    words = step.operands
    if not words:
        return
    verb = words[0]
    stack = step.args.value("-s", "--stack") or ""
    obj = f"pulumi:{stack or step.path('.').path}"
    production = step.production(stack)
    if step.args.has("--show-secrets"):
        step.add("credential-read", obj, production=production, detail="pulumi secrets shown")
    elif verb == "destroy":
        step.add("cloud-delete", obj, production=production, detail="pulumi destroy")
    elif verb in ("up", "update", "refresh", "import", "cancel"):
        step.add("cloud-write", obj, production=production, detail=f"pulumi {verb}")
    elif verb in ("preview", "stack", "config", "whoami", "about", "logs"):
        step.add("cloud-read", obj, production=production, detail=f"pulumi {verb}")


# ----------------------------------------------------------------------------- containers

@rule("docker")
def docker(step: Step) -> None:
    words = step.operands
    if not words:
        return
    verb = words[0]
    if verb == "compose" and len(words) > 1 and words[1] in ("exec", "run"):
        step.add("remote-exec", f"container:{words[2] if len(words) > 2 else ''}",
                 detail=f"docker compose {words[1]}")
        return
    if verb in ("exec", "attach"):
        target = words[1] if len(words) > 1 else ""
        step.add("remote-exec", f"container:{target}", detail=" ".join(words[2:])[:60] or verb)
    elif verb == "push":
        step.add("publish", words[1] if len(words) > 1 else "(image)", direction="out",
                 detail="image pushed to a registry")
    elif verb == "pull":
        image = words[1] if len(words) > 1 else ""
        registry = image.split("/")[0] if "." in image.split("/")[0] else "docker.io"
        step.add("download", registry, direction="in", detail=f"image {image}")
    elif verb == "login":
        step.write("~/.docker/config.json", None, "docker login")
    elif verb in ("run", "create"):
        _docker_run(step, words)


def _docker_run(step: Step, words: list[str]) -> None:
    image = words[1] if len(words) > 1 else "(image)"
    reasons = [w for w in step.cmd.argv if _PRIVILEGED_RUN.match(w)]
    for mount in step.args.values("-v", "--volume", "--mount"):
        source = mount.split(":")[0].replace("source=", "").split(",")[0]
        if source in ("/", "/etc", "/root", "/var/run/docker.sock", "/home") or \
                source.startswith("/var/run/docker"):
            reasons.append(f"mounts {source}")
    if step.args.has("--privileged"):
        reasons.append("--privileged")
    if reasons:
        step.add("privilege", image, detail="container with host access: " +
                 ", ".join(dict.fromkeys(reasons)))
    else:
        step.add("exec", image, detail="container")


# ----------------------------------------------------------------------------- databases

@rule("database")
def database(step: Step) -> None:
    program = step.program
    args = step.args
    if args.has("--version", "-V", "--help", "-?") and not step.operands:
        return
    if program == "sqlite3":
        _sqlite(step)
        return
    host = _db_host(step)
    engine = {"psql": "postgres", "mysql": "mysql", "mongosh": "mongodb",
              "redis-cli": "redis"}.get(program, program)
    database_name = args.value("-d", "--dbname", "-D", "--database", "-n") or ""
    obj = f"{engine}:{host or 'local'}" + (f"/{database_name}" if database_name else "")
    where = "local" if host in (None, "localhost", "127.0.0.1", "::1") else None
    production = step.production(host, database_name)
    for klass in _db_classes(step) or ["read"]:
        step.add({"read": "cloud-read", "delete": "cloud-delete"}.get(klass, "cloud-write"), obj,
                 where=where, production=production, detail=f"{program} {klass}")


def _db_host(step: Step) -> str | None:
    args = step.args
    host = args.value("-h", "--host")
    for operand in step.operands:
        if "://" in operand:
            host = host or host_of(operand)
    return host or step.cmd.env_value("PGHOST") or step.cmd.env_value("MYSQL_HOST")


def _db_classes(step: Step) -> list[str]:
    program = step.program
    args = step.args
    if program == "redis-cli":
        words = [w.lower() for w in step.operands]
        if not words:
            return []
        return ["delete" if words[0] in _REDIS_DELETE else "read" if words[0] in _REDIS_READ
                else "write"]
    if program == "mongosh":
        code = args.value("--eval") or step.stdin_text() or ""
        found = [m.group(1).lower() for m in _MONGO.finditer(code)]
        return list(dict.fromkeys(
            "read" if f.startswith(("find", "count", "aggregate", "distinct")) else
            "delete" if f.startswith(("delete", "remove", "drop")) else "write" for f in found))
    sql = " ; ".join(args.values("-c", "--command", "-e", "--execute"))
    sql = sql or step.stdin_text() or ""
    if args.value("-f", "--file"):
        step.path_effect("file-read", args.value("-f", "--file"))
        return ["write"]
    return sql_classes(sql) if sql else []


def _sqlite(step: Step) -> None:
    operands = list(step.operands)
    if not operands:
        return
    path = operands[0]
    sql = " ; ".join(operands[1:]) or step.stdin_text() or ""
    classes = sql_classes(sql) if sql else ["read"]
    if "read" in classes:
        step.path_effect("file-read", path, "sqlite")
    if "write" in classes or "delete" in classes:
        step.write(path, None, "sqlite " + ("delete" if "delete" in classes else "write"))
