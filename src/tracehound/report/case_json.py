"""The case JSON writer: compact with sorted keys (or indented for people), streamed section
by section, and put in place only when complete.

The bytes are those of `json.dumps(doc, sort_keys=True, separators=(",", ":"),
ensure_ascii=False)` encoded as UTF-8 (with `pretty`: `indent=2` and a closing newline), with
one addition: a lone surrogate (which UTF-8 cannot hold) is written as its `\\udXXX` escape.
orjson does the encoding where its output is the same byte for byte: plain dicts, lists,
strings, 64-bit ints and floats outside (0, 1e-4) in magnitude; anything else (NaN, tiny
floats, huge ints, non-str keys, subclasses, surrogates) goes through the stdlib encoder.

The document is never one string: top-level keys in sorted order, big lists a batch of
elements at a time, and a list element holding a big list (a trace and its steps) key by key.
A file is written to `.<name>.tmp-<pid>` beside it, fsync'd and renamed over it; on an error,
Ctrl-C or SIGTERM the temporary file is deleted and a previous file is left as it was.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import orjson

from .atomic_file import write_chunks

BATCH = 512                  # list elements encoded in one call
PLAIN = frozenset((dict, list, str, int, bool, type(None)))
SMALLEST_SAME_FLOAT = 1e-4   # below this orjson writes 0.00001 where repr writes 1e-05


def _plain(value: Any) -> bool:
    """True when every node is a plain JSON type orjson writes as the stdlib does."""
    stack = [value]
    pop, extend = stack.pop, stack.extend
    while stack:
        node = pop()
        kind = type(node)
        if kind is dict:
            extend(node.values())
        elif kind is list:
            extend(node)
        elif kind is float:
            if node != 0.0 and not SMALLEST_SAME_FLOAT <= abs(node) < math.inf:
                return False        # NaN and infinities fail the comparison too
        elif kind not in PLAIN:
            return False
    return True


def encode(value: Any, pretty: bool = False) -> bytes:
    """One value as the stdlib would write it (see the module docstring)."""
    option = orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    try:
        # first, so that a cycle or a too-deep value fails here and never reaches _plain
        data = orjson.dumps(value, option=option)
    except orjson.JSONEncodeError:
        data = None
    if data is not None and _plain(value):
        return data
    text = (json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2) if pretty else
            json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")))
    return text.encode("utf-8", "backslashreplace")


def _str_keys(value: Any) -> bool:
    """A non-empty plain dict whose keys sort and write as the stdlib's (all str)."""
    return type(value) is dict and bool(value) and all(type(k) is str for k in value)


def _big_list_inside(value: Any) -> bool:
    if not _str_keys(value):
        return False
    for item in value.values():
        if type(item) is list and len(item) > BATCH:
            return True
    return False


def _chunks(value: Any, depth: int, pretty: bool) -> Iterator[bytes]:
    """`value` at nesting `depth` (the document is 0) as a run of byte strings."""
    kind = type(value)
    if (depth <= 1 and _str_keys(value)) or (depth <= 3 and _big_list_inside(value)):
        yield from _dict_chunks(value, depth, pretty)
    elif kind is list and value and depth <= 3:
        yield from _list_chunks(value, depth, pretty)
    else:
        yield _indented(encode(value, pretty), depth, pretty)


def _indented(data: bytes, depth: int, pretty: bool) -> bytes:
    return data.replace(b"\n", b"\n" + b"  " * depth) if pretty and depth else data


def _dict_chunks(value: dict, depth: int, pretty: bool) -> Iterator[bytes]:
    inner = b"\n" + b"  " * (depth + 1) if pretty else b""
    separator = b": " if pretty else b":"
    yield b"{"
    for number, key in enumerate(sorted(value)):
        yield (b"," if number else b"") + inner + encode(key) + separator
        yield from _chunks(value[key], depth + 1, pretty)
    yield (b"\n" + b"  " * depth if pretty else b"") + b"}"


def _list_chunks(value: list, depth: int, pretty: bool) -> Iterator[bytes]:
    inner = b"\n" + b"  " * (depth + 1) if pretty else b""
    yield b"["
    first, batch = True, []
    for item in value:
        whole = depth <= 1 and _big_list_inside(item)
        if batch and (whole or len(batch) == BATCH):
            yield (b"" if first else b",") + _batch(batch, depth, pretty)
            first, batch = False, []
        if whole:
            lead = (b"" if first else b",") + inner
            if lead:
                yield lead
            yield from _dict_chunks(item, depth + 1, pretty)
            first = False
        else:
            batch.append(item)
    if batch:
        yield (b"" if first else b",") + _batch(batch, depth, pretty)
    yield (b"\n" + b"  " * depth if pretty else b"") + b"]"


def _batch(items: list, depth: int, pretty: bool) -> bytes:
    """Several list elements, without the list's brackets: `a,b` or `\\n    a,\\n    b`."""
    data = encode(items, pretty)
    if not pretty:
        return data[1:-1]
    return _indented(data[1:-2], depth, pretty)     # "[" ... "\n]" -> "\n  a,\n  b"


def iter_json(document: Any, pretty: bool = False) -> Iterator[bytes]:
    """The document's bytes, a section (or a batch of list elements) at a time."""
    yield from _chunks(document, 0, pretty)
    if pretty:
        yield b"\n"


def to_bytes(document: Any, pretty: bool = False) -> bytes:
    """The whole document at once (for small documents and tests)."""
    return b"".join(iter_json(document, pretty))


def stream(document: Any, handle: BinaryIO, pretty: bool = False) -> None:
    for chunk in iter_json(document, pretty):
        handle.write(chunk)
    handle.flush()


def write_file(document: Any, path: Path, pretty: bool = False) -> None:
    """Write the document to `path` whole or not at all (atomic_file.write_chunks)."""
    write_chunks(path, iter_json(document, pretty))
