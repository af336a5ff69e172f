"""The shared readers: every kind of bad input becomes a ParseIssue with its exact locator."""

import codecs
import json

from hypothesis import given, settings, strategies as st

from tracehound.formats.readers import (decode_text, iter_csv, iter_ndjson, iter_text_lines,
                                        load_json)
from tracehound.model import ParseIssue


def split(items):
    good = [i for i in items if not isinstance(i, ParseIssue)]
    bad = [i for i in items if isinstance(i, ParseIssue)]
    return good, bad


def test_ndjson_truncated_line_is_an_issue_and_the_rest_is_read():
    data = b'{"a": 1}\n{"a": 2\n{"a": 3}\n'
    good, bad = split(list(iter_ndjson(data, "t.ndjson")))
    assert [n for n, _ in good] == [1, 3]
    assert [(i.locator, i.problem.split(":")[0]) for i in bad] == [("line 2", "truncated JSON")]


def test_ndjson_non_object_line_is_an_issue():
    good, bad = split(list(iter_ndjson(b'{"a": 1}\n[1, 2]\n', "t.ndjson")))
    assert len(good) == 1
    assert bad == [ParseIssue("t.ndjson", "line 2", "expected a JSON object, found list")]


def test_ndjson_invalid_utf8_is_reported_on_its_line_and_still_read():
    data = b'{"a": 1}\n{"b": "caf\xe9"}\n'
    good, bad = split(list(iter_ndjson(data, "t.ndjson")))
    assert [n for n, _ in good] == [1, 2]
    assert good[1][1]["b"] == "caf\ufffd"
    assert bad == [ParseIssue("t.ndjson", "line 2",
                              "bytes are not valid UTF-8 at byte offset 19")]


def test_utf8_bom_and_crlf():
    data = codecs.BOM_UTF8 + b'{"a": 1}\r\n{"a": 2}\r\n'
    good, bad = split(list(iter_ndjson(data, "t")))
    assert bad == [] and [v["a"] for _, v in good] == [1, 2]


def test_utf16_le_and_be_with_bom():
    text = '{"Operation": "CopilotInteraction"}\n{"Operation": "x"}\n'
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        good, bad = split(list(iter_ndjson(bom + text.encode(codec), "t")))
        assert bad == []
        assert [v["Operation"] for _, v in good] == ["CopilotInteraction", "x"]


def test_utf16_odd_length_is_an_issue():
    data = codecs.BOM_UTF16_LE + "ab\n".encode("utf-16-le") + b"\x00"
    items = list(iter_text_lines(data, "t"))
    assert items[0] == ParseIssue("t", "line 2", "odd number of bytes for utf-16-le: the last "
                                                 "byte is cut off")


def test_json_document_error_names_the_line():
    doc, issues = load_json(b'{\n "a": 1,\n "b": \n}\n', "d.json")
    assert doc is None
    assert issues[0].locator == "line 4" and issues[0].problem.startswith("invalid JSON")


def test_json_truncated_document():
    doc, issues = load_json(b'{"Records": [{"a": 1},', "d.json")
    assert doc is None and issues[0].problem.startswith("truncated JSON")


def test_empty_json_file():
    assert load_json(b"", "e.json") == (None, [ParseIssue("e.json", "line 1", "file is empty")])


def test_csv_ragged_row_names_the_data_row():
    data = b'a,b,c\n1,2,3\n4,5\n6,7,8\n'
    good, bad = split(list(iter_csv(data, "x.csv")))
    assert [n for n, _ in good] == [1, 3]
    assert bad == [ParseIssue("x.csv", "row 2", "ragged row: 2 fields where the header has 3")]


def test_csv_quoted_newlines_count_as_one_row():
    data = b'a,b\n"x\ny",2\n3,4\n'
    good, bad = split(list(iter_csv(data, "x.csv")))
    assert bad == [] and good == [(1, {"a": "x\ny", "b": "2"}), (2, {"a": "3", "b": "4"})]


def test_csv_without_header():
    assert list(iter_csv(b"", "e.csv")) == [ParseIssue("e.csv", "row 0", "CSV has no header row")]


def test_decode_text_collects_issues():
    text, issues = decode_text(b"ok\n\xff\xfe\xfa\n", "g.bin")
    assert text.startswith("ok\n") and [i.locator for i in issues] == ["line 2"]


LOCATOR_PREFIXES = ("line ", "row ")


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_ndjson_reader_never_raises_on_arbitrary_bytes(data):
    for item in iter_ndjson(data, "fuzz"):
        if isinstance(item, ParseIssue):
            assert item.locator.startswith("line ") and item.problem
        else:
            assert isinstance(item[1], dict)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_json_reader_never_raises_on_arbitrary_bytes(data):
    doc, issues = load_json(data, "fuzz")
    if doc is None:
        assert issues
    for issue in issues:
        assert issue.locator.startswith(LOCATOR_PREFIXES) and issue.problem


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2048))
def test_csv_reader_never_raises_on_arbitrary_bytes(data):
    for item in iter_csv(data, "fuzz"):
        if isinstance(item, ParseIssue):
            assert item.locator.startswith("row ") or item.locator.startswith("line ")
        else:
            assert isinstance(item[1], dict)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8),
                                                                        children, max_size=4),
    max_leaves=20)


@settings(max_examples=100, deadline=None)
@given(st.lists(json_values, max_size=8))
def test_ndjson_reader_reads_every_object_it_is_given(values):
    data = "".join(json.dumps(v) + "\n" for v in values).encode()
    items = list(iter_ndjson(data, "gen"))
    good, bad = split(items)
    assert [v for _, v in good] == [v for v in values if isinstance(v, dict)]
    assert len(bad) == sum(not isinstance(v, dict) for v in values)
