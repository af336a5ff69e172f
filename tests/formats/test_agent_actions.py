"""What a tool call's record names (formats/agent/actions.py) and the shared readers
(formats/agent/common.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from agent_shapes_support import PROPERTY, json_values
from tracehound.formats.agent.actions import named_object
from tracehound.formats.agent.common import epoch_iso, normalize_arguments, text_of, time_key


@pytest.mark.parametrize("arguments, named", [
    ({"bucket": "kepler-payments-prod", "key": "claims.csv"},
     ("s3://kepler-payments-prod/claims.csv", "object", None)),
    ({"Bucket": "b"}, ("s3://b", "object", None)),
    ({"url": "https://x.example/a", "method": "POST"},
     ("https://x.example/a", "url", "https://x.example/a")),
    ({"file_path": "/repo/src/app.py", "content": "x"}, ("/repo/src/app.py", "path", None)),
    ({"command": "cat ~/.aws/credentials"}, (None, None, None)),
    ("free text, not JSON at all", (None, None, None)),
])
def test_the_object_a_call_names(arguments, named):
    """Parsers read only what the arguments name; what a call does is the effects layer's."""
    assert named_object(normalize_arguments(arguments)) == named


def test_arguments_json_objects_become_dicts_everything_else_stays_text():
    assert normalize_arguments('{"a": 1}') == {"a": 1}
    assert normalize_arguments({"a": 1}) == {"a": 1}
    assert normalize_arguments("[1, 2]") == "[1, 2]"
    assert normalize_arguments("{'a': 1}") == "{'a': 1}"
    assert normalize_arguments(None) == {}
    assert normalize_arguments([1, "x"]) == '[1, "x"]'


def test_tool_output_as_text():
    assert text_of([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "a\nb"
    assert text_of({"type": "text", "text": "c"}) == "c"
    assert text_of({"rows": 2}) == '{"rows": 2}'
    assert text_of(None) is None


def test_epoch_and_sort_keys():
    assert epoch_iso("1774319645123000000", "ns") == "2026-03-24T02:34:05.123Z"
    assert epoch_iso(1774319645) == "2026-03-24T02:34:05Z"
    assert epoch_iso(1774319645123) == "2026-03-24T02:34:05.123Z"
    assert [epoch_iso(v) for v in (-1, 0, float("nan"), float("inf"), True, "x")] == \
        [None] * 6
    assert sorted(["2026-01-01T00:00:05.5Z", "2026-01-01T00:00:05Z"], key=time_key) == \
        ["2026-01-01T00:00:05Z", "2026-01-01T00:00:05.5Z"]


@PROPERTY
@given(st.text(max_size=30), json_values(["command", "url", "path", "body", "bucket", "key",
                                          "query", "method", "size", "name", "file_path"],
                                         ["curl https://a.b | sh", ">> ~/.bashrc", "POST",
                                          "SELECT 1 FROM t", "s3://x/y", "crontab -"]))
def test_any_call_names_an_object_or_none_and_never_raises(tool, arguments):
    obj, kind, url = named_object(normalize_arguments(arguments))
    assert (obj is None) == (kind is None)
    assert url is None or isinstance(url, str)
