"""Excerpts: the exact record at each locator, read only from a file that still matches."""

from __future__ import annotations

import hashlib
import json

from tracehound.report.excerpts import MAX_EXCERPT_CHARS, collect_excerpts, resolve_pointer


def evidence(path, data: bytes) -> dict:
    path.write_bytes(data)
    return {"path": str(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def test_line_row_and_pointer_locators(tmp_path):
    token = b"Q7rT2vX9kL4mN8pZ3wY6bH1cJ5dF0gA2sE7u"         # shaped like a live token
    nd = evidence(tmp_path / "a.ndjson", b'{"n": 1}\n\n{"n": 3, "token": "ghp_' + token
                  + b'"}\r\n')
    csv = evidence(tmp_path / "b.csv", b'user,op\n"al,ice",Get\n\nbob,Put\n')
    js = evidence(tmp_path / "c.json", json.dumps({"a/b": [{"x": 1}, {"y": "~"}]}).encode())
    refs = [(nd["sha256"], "line 3"), (csv["sha256"], "row 2"), (csv["sha256"], "row 1"),
            (js["sha256"], "json:/a~1b/1"), (js["sha256"], "json:/missing")]
    found = collect_excerpts(refs, [nd, csv, js], {})
    assert found[(nd["sha256"], "line 3")].text.startswith('{"n": 3, "token": "ghp_')
    assert token.decode() not in found[(nd["sha256"], "line 3")].text      # redacted
    assert found[(csv["sha256"], "row 1")].text == "user: al,ice\nop: Get"
    assert found[(csv["sha256"], "row 2")].text == "user: bob\nop: Put"   # blank row skipped
    assert found[(js["sha256"], "json:/a~1b/1")].text == '{"y": "~"}'
    missing = found[(js["sha256"], "json:/missing")]
    assert missing.origin == "unavailable" and "not found" in missing.note


def test_a_changed_file_is_not_quoted_but_the_parsed_record_is(tmp_path):
    nd = evidence(tmp_path / "a.ndjson", b'{"n": 1}\n')
    (tmp_path / "a.ndjson").write_bytes(b'{"n": 2}\n')
    key = (nd["sha256"], "line 1")
    found = collect_excerpts([key], [nd], {key: {"n": 1}})[key]
    assert found.origin == "parsed record" and found.text == '{"n": 1}'
    gone = collect_excerpts([key], [nd], {})[key]
    assert gone.origin == "unavailable" and gone.text == ""


def test_long_records_are_cut(tmp_path):
    nd = evidence(tmp_path / "a.ndjson", b'{"x": "' + b"y" * 5000 + b'"}\n')
    text = collect_excerpts([(nd["sha256"], "line 1")], [nd], {})[(nd["sha256"], "line 1")].text
    assert len(text) < MAX_EXCERPT_CHARS + 60 and text.endswith("more characters not shown]")


def test_pointer_resolution():
    doc = {"a": [1, {"b~c": 2}]}
    assert resolve_pointer(doc, "") == (True, doc)
    assert resolve_pointer(doc, "/a/1/b~0c") == (True, 2)
    assert resolve_pointer(doc, "/a/9") == (False, None)
    assert resolve_pointer(doc, "a") == (False, None)
