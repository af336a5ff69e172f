"""What a tool call's own record names: its object, URL and method, read from argument keys.

Parsers say what the runtime recorded and never judge it: what a call *does* (a push, an
upload of a key, a write to an MCP config) is the effects layer's (tracehound.effects), which
the agent tools apply to every step. This module only reads the argument keys runtimes use
for the object a call is about (a path, a URL, a bucket and key), so a step has a target to
show before any judgement. It holds no table of commands, programs or paths (a test checks).
"""

from __future__ import annotations

import math
from typing import Any, Mapping
from urllib.parse import urlsplit


def first_of(mapping: Mapping[str, Any], *keys: str) -> Any:
    """The first value under any of the keys that is not None or empty text."""
    for key in keys:
        value = mapping.get(key)
        if value is not None and value != "":
            return value
    return None


def as_text(value: Any) -> str | None:
    """A scalar as text (numbers too: ids are often ints); None for None, dicts and lists."""
    if type(value) is str:               # most calls: already text
        return value
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Argument keys runtimes use for the object of a call, most specific first.
URL_KEYS = ("url", "uri", "endpoint", "webhook_url", "href", "target_url")
PATH_KEYS = ("file_path", "filepath", "path", "filename", "file", "target_file",
             "notebook_path", "absolute_path", "directory", "dir")
BUCKET_KEYS = ("bucket", "bucket_name", "Bucket")
KEY_KEYS = ("key", "object_key", "Key", "prefix", "Prefix")


def host_of(url: str | None) -> str | None:
    if not url:
        return None
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


def named_object(arguments: Any) -> tuple[str | None, str | None, str | None]:
    """(object, its type, URL) the arguments name: a bucket/key, a URL, a path; else None."""
    if not isinstance(arguments, dict):
        return None, None, None
    url = as_text(first_of(arguments, *URL_KEYS))
    bucket = as_text(first_of(arguments, *BUCKET_KEYS))
    if bucket:
        key = as_text(first_of(arguments, *KEY_KEYS))
        return (f"s3://{bucket}/{key}" if key else f"s3://{bucket}"), "object", url
    if url:
        return url, "url", url
    path = as_text(first_of(arguments, *PATH_KEYS))
    return (path, "path", None) if path and path.strip() else (None, None, None)


def byte_count(value: Any) -> int | None:
    """A non-negative whole byte count that fits a 64-bit column, else None."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value) or not 0 <= value < 2 ** 63:
        return None
    return int(value)
