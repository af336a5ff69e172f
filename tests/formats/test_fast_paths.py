"""Shortcuts taken for speed read exactly what the long way reads: NDJSON from disk a line at
a time, the canonical UTC spelling, cached tool-call shapes."""

import json

from hypothesis import given, settings, strategies as st

from tracehound.formats.agent.builder import kept_arguments
from tracehound.formats.agent.common import normalize_arguments, utc_iso
from tracehound.formats.cloud.m365_fields import utc_time
from tracehound.formats.readers import (iter_file_lines, iter_ndjson, iter_ndjson_file,
                                        iter_text_lines)

TRICKY = [b"", b"\n", b"a", b"a\n", b'{"a": 1}\r\n{"a": 2}', b'\xef\xbb\xbf{"a": 1}\n',
          b'{"a": 1} \n{"a": 1}{"b": 2}\n{"x": NaN}\n\n[1]\n{"a": "caf\xe9"}\n{"a":',
          b"\xff\xfe" + '{"a": 1}\n'.encode("utf-16-le"), b'{"a": {"b": [1, {"c": null}]}}']


def _same_from_disk(tmp_path, data):
    path = tmp_path / "x.ndjson"
    path.write_bytes(data)
    assert list(iter_file_lines(path, "p")) == list(iter_text_lines(data, "p"))
    assert list(iter_ndjson_file(path, "p")) == list(iter_ndjson(data, "p"))


def test_reading_from_disk_is_reading_the_bytes(tmp_path):
    for data in TRICKY:
        _same_from_disk(tmp_path, data)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from([b'{"a": 1}', b'{"b": "x\\n"}', b"", b" ", b"\r", b"{",
                                 b"}", b'"', b"\xff", b"\xc3\xa9", b"[]", b"1", b"{}"]),
                max_size=12), st.booleans())
def test_any_lines_read_the_same_from_disk(tmp_path_factory, parts, final_newline):
    data = b"\n".join(parts) + (b"\n" if final_newline else b"")
    _same_from_disk(tmp_path_factory.mktemp("lines"), data)


def test_the_canonical_utc_spelling_reads_as_utc_time():
    values = ["2026-04-12T10:00:02.000Z", "2026-04-12T10:00:02Z", "2024-02-29T23:59:59.5Z",
              "2023-02-29T10:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z",
              "2026-04-12T24:00:00Z", "2026-04-12T23:60:00Z", "2026-04-12T23:59:60Z",
              "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z", "2026-04-12T10:00:02.000001Z",
              "\u0662\u0660\u0662\u0666-04-12T10:00:02Z", "2026-04-12T10:00:02z", " x", None, 7]
    assert [utc_iso(v) for v in values] == [utc_time(v) for v in values]


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
       st.integers(0, 61), st.integers(0, 61), st.sampled_from(["", ".0", ".5", ".123456789"]))
def test_any_canonical_time_reads_as_utc_time(y, mo, d, h, mi, s, fraction):
    value = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}{fraction}Z"
    assert utc_iso(value) == utc_time(value)


def test_kept_arguments_equal_the_given_and_repeats_share_one_dict():
    calls = [{"Bucket": "b", "Key": "k"}, "curl -d @x http://e", {"path": "~/.bashrc"},
             {"Bucket": "b", "Key": 1}, {"n": True}, {"n": 1}, "SELECT * FROM t", None]
    for arguments in calls * 2:                       # the second round comes from the cache
        given_args = normalize_arguments(arguments)
        kept = kept_arguments(given_args)
        assert kept == given_args and json.dumps(kept) == json.dumps(given_args)
    assert kept_arguments({"a": "1"}) is kept_arguments({"a": "1"})
