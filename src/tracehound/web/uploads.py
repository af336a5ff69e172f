"""An upload read straight into its case: the one write of the evidence bytes.

A multipart/form-data body is parsed as it streams in (python-multipart, as Starlette does),
and each file part goes directly into a slot of the case's incoming folder, hashed on the way.
No spooled temporary copy first, no second copy when the evidence is sealed: sealing renames the
slot's file into evidence/ (cases.py). Text fields (the `paths` a folder drop sends) are kept
in memory, each capped. File and field counts are capped as `request.form()` caps them.
"""

from __future__ import annotations

import hashlib
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from ..evidence import utc_now

MAX_FIELD_BYTES = 1024 * 1024          # one text field (Starlette's limit too)


class UploadError(ValueError):
    """The body is not a form this endpoint takes (the API answers 400)."""


@dataclass
class Received:
    """One file part, written to its slot under the incoming folder and hashed."""

    field: str
    filename: str
    path: Path
    sha256: str = ""
    size: int = 0
    received_at: str = ""


@dataclass
class Form:
    files: list[Received] = field(default_factory=list)
    fields: dict[str, list[str]] = field(default_factory=dict)

    def file(self, name: str) -> Received | None:
        return next((f for f in self.files if f.field == name and f.filename), None)


class _Part:
    def __init__(self) -> None:
        self.disposition = b""
        self.name = ""
        self.received: Received | None = None
        self.handle: BinaryIO | None = None
        self.digest: Any = None
        self.data = bytearray()


class _Reader:
    """python-multipart callbacks; file bytes wait in `pending` until `flush` writes them (in
    a worker thread, so the event loop never blocks on the disk)."""

    def __init__(self, incoming: Path, max_files: int, max_fields: int):
        self.incoming, self.max_files, self.max_fields = incoming, max_files, max_fields
        self.form = Form()
        self.part = _Part()
        self.header = [b"", b""]
        self.pending: list[tuple[_Part, bytes | None]] = []
        self.slots: list[Path] = []
        self.open: list[_Part] = []

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self.begin, "on_part_data": self.data,
                "on_part_end": self.end, "on_header_field": self.header_field,
                "on_header_value": self.header_value, "on_header_end": self.header_end,
                "on_headers_finished": self.headers_finished}

    def begin(self) -> None:
        self.part = _Part()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self.header[0] += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self.header[1] += data[start:end]

    def header_end(self) -> None:
        if self.header[0].lower() == b"content-disposition":
            self.part.disposition = self.header[1]
        self.header = [b"", b""]

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.part.disposition)
        if b"name" not in options:
            raise UploadError('a form part has no name (Content-Disposition "name")')
        part = self.part
        part.name = options[b"name"].decode("utf-8", errors="replace")
        if b"filename" not in options:
            if sum(map(len, self.form.fields.values())) >= self.max_fields:
                raise UploadError(f"too many form fields (more than {self.max_fields})")
            return
        if len(self.form.files) >= self.max_files:
            raise UploadError(f"too many files (more than {self.max_files})")
        slot = self.incoming / secrets.token_hex(8)
        self.slots.append(slot)
        part.received = Received(part.name, options[b"filename"].decode("utf-8", "replace"),
                                 slot / "upload")
        self.form.files.append(part.received)

    def data(self, data: bytes, start: int, end: int) -> None:
        if self.part.received is not None:
            self.pending.append((self.part, data[start:end]))
            return
        if len(self.part.data) + end - start > MAX_FIELD_BYTES:
            raise UploadError(f"a form field is longer than {MAX_FIELD_BYTES} bytes")
        self.part.data += data[start:end]

    def end(self) -> None:
        if self.part.received is not None:
            self.pending.append((self.part, None))
        else:
            self.form.fields.setdefault(self.part.name, []).append(
                self.part.data.decode("utf-8", errors="replace"))

    def flush(self) -> None:
        """Write the bytes parsed so far to their slots; close the parts that ended."""
        pending, self.pending = self.pending, []
        for part, chunk in pending:
            received = part.received
            assert received is not None
            if part.handle is None:
                received.path.parent.mkdir(parents=True)
                part.handle, part.digest = open(received.path, "xb"), hashlib.sha256()
                self.open.append(part)
            if chunk is None:
                part.handle.close()
                self.open.remove(part)
                received.sha256, received.received_at = part.digest.hexdigest(), utc_now()
            else:
                part.handle.write(chunk)
                part.digest.update(chunk)
                received.size += len(chunk)

    def discard(self) -> None:
        for part in self.open:
            if part.handle is not None:
                part.handle.close()
        for slot in self.slots:
            shutil.rmtree(slot, ignore_errors=True)


async def receive_form(request: Request, incoming: Path, max_files: int, max_fields: int
                       ) -> Form:
    """The request's form, its files already in slots under `incoming`. On any failure
    (a bad body, the upload cap, a closed connection) the slots written so far are removed."""
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise UploadError("the upload is not multipart/form-data")
    reader = _Reader(incoming, max_files, max_fields)
    parser = MultipartParser(boundary, reader.callbacks())
    try:
        async for chunk in request.stream():
            try:
                parser.write(chunk)
            except UploadError:
                raise
            except Exception as exc:  # noqa: BLE001 - python-multipart's parse errors
                raise UploadError(f"the upload is not a readable form: {exc}") from None
            if reader.pending:
                await run_in_threadpool(reader.flush)
        parser.finalize()
        await run_in_threadpool(reader.flush)
        if reader.open:
            raise UploadError("the upload ended in the middle of a file")
    except BaseException:
        await run_in_threadpool(reader.discard)
        raise
    return reader.form
