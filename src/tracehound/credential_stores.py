"""Credential stores by name: the files, directories and secret-manager ids that hold secrets.

A prompt that names no secret never implies reading one (scope_roots.py), so what counts as a
credential store is kept here, as data: `~/.aws/credentials`, `.env` (not `.env.example`),
`id_rsa` (not `id_rsa.pub`), `/etc/shadow`, `*.pem`, anything under `~/.ssh` but `known_hosts`,
a secrets-manager ARN, a tool named for secrets (`get_secret`, `vault_read`).
"""

from __future__ import annotations

from functools import lru_cache

from .taxonomy import tokens

SECRET_FILES = frozenset({
    ".env", "credentials", "credentials.json", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519",
    "shadow", "gshadow", "master.passwd", ".netrc", "_netrc", ".pgpass", ".git-credentials",
    ".npmrc", ".pypirc", ".htpasswd", "secrets.yml", "secrets.yaml", "secrets.json",
    "master.key", "service-account.json", ".vault-token", "keystore.jks", "login.keychain-db"})
SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx", ".jks", ".kdbx", ".ppk", ".keystore")
SECRET_DIRS = frozenset({".ssh", ".aws", ".gnupg", ".kube", ".azure", ".docker"})
NOT_SECRET = frozenset({"known_hosts", "authorized_keys"})
TEMPLATE_SUFFIXES = (".example", ".sample", ".template", ".dist", ".pub")
SECRET_TOOL_WORDS = frozenset({"secret", "secrets", "password", "passwords", "credential",
                               "credentials", "vault", "keychain", "keyring", "secretsmanager"})


@lru_cache(maxsize=16384)
def is_secret_path(path: str) -> bool:
    """A credential store by its name: .env, id_rsa, ~/.aws/credentials, *.pem, /etc/shadow."""
    parts = [p for p in path.replace("\\", "/").lower().split("/") if p]
    if not parts:
        return False
    name = parts[-1]
    if name in NOT_SECRET or name.endswith(TEMPLATE_SUFFIXES):
        return False
    if name in SECRET_FILES or name.startswith(".env.") or name.endswith(SECRET_SUFFIXES):
        return True
    return bool(SECRET_DIRS.intersection(parts))      # ~/.ssh, ~/.aws/config, ~/.kube/config


def is_secret(target: str, kind: str, tool: str | None) -> bool:
    """A step's target is a credential store (by path, secrets-manager id, or secret tool)."""
    if kind == "path" and is_secret_path(target):
        return True
    lowered = target.lower()
    if lowered.startswith(("arn:aws:secretsmanager:", "secretsmanager:", "vault:")):
        return True
    return bool(tool) and bool(SECRET_TOOL_WORDS.intersection(tokens(tool)))
