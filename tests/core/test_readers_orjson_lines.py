"""iter_ndjson / iter_ndjson_file decode a line's bytes with orjson where it gives the value
json.loads gives the line's text: the items (values, their types, issues, line numbers) are
those of the text path, whatever the line holds."""

from __future__ import annotations

import codecs

import pytest

from tracehound.formats.readers import (iter_ndjson, iter_ndjson_file, iter_text_lines,
                                        ndjson_of_lines)

LINES = [
    b'{"a": 1, "b": [1.5, -0.0, 1e5, 5e-324, true, null], "c": "\\u00e9\xc3\xa9"}',
    b'{"big": 18446744073709551616, "neg": -9223372036854775809}',      # past 64 bits
    b'{"n": 123456789012345678901234567890}',
    b'{"id": "1234567890123456789012345"}',
    b'{"inf": 1e400}', b'{"nan": NaN}', b'{"s": "\\ud800"}', b'{"s": "\\udc00x"}',
    b'{"dup": 1, "dup": 2}', b'  {"lead": 1}', b'{"trail": 1}   ', b'{"cr": 1}\r',
    b'[1, 2]', b'"text"', b'', b'   ', b'{"a": 1} x', b'{"cut": ', b'{"bad": "\xff\xfe"}',
    b'{"surrogate": "\xed\xa0\x80"}', b'{"ctl": "a\x01b"}', b'{"del": "a\x7fb"}',
    b'{"deep": ' + b'[' * 3000 + b']' * 3000 + b'}',
    b'{"x": {"y": {"z": [{"w": 1}]}}}',
]


def _text_path(data: bytes) -> list:
    return list(ndjson_of_lines(iter_text_lines(data, "f.jsonl"), "f.jsonl"))


def _typed(items: list) -> list:
    def shape(value):
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list):
            return [shape(v) for v in value]
        return (type(value).__name__, repr(value))
    return [item if not isinstance(item, tuple) else (item[0], shape(item[1]))
            for item in items]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b""])
@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8])
def test_the_same_items_as_the_text_path(tmp_path, ending, bom):
    data = bom + b"\n".join(LINES) + ending
    expected = _typed(_text_path(data))
    assert _typed(list(iter_ndjson(data, "f.jsonl"))) == expected
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    assert _typed(list(iter_ndjson_file(path, "f.jsonl"))) == expected


def test_each_line_alone():
    for line in LINES:
        assert _typed(list(iter_ndjson(line, "f.jsonl"))) == _typed(_text_path(line))


def test_utf16_still_read_through_the_text():
    data = codecs.BOM_UTF16_LE + '{"a": 1}\n{"b": "é"}\n'.encode("utf-16-le")
    assert list(iter_ndjson(data, "f.jsonl")) == [(1, {"a": 1}), (2, {"b": "é"})]
