"""The case JSON writer (report/case_json.py): its bytes are the reference encoder's, it streams,
and a file appears only whole.

Reference: `json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` in
UTF-8, a lone surrogate written as its `\\udXXX` escape (UTF-8 cannot hold it); `--pretty` is
the same with `indent=2` and a closing newline.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracehound.fixtures.kepler import write_pack
from tracehound.pipeline import Options, analyze
from tracehound.report import case_json

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# The inputs behind the goldens in tests/golden (each run through every tool).
GOLDEN_CASES = ([FIXTURES / "agent" / shape for shape in (
    "aider", "claude_code", "claude_code_project", "cline", "codex", "gemini_cli", "langfuse",
    "mcp_desktop", "mcp_jsonrpc", "openai_chat", "openhands", "otel_genai", "swe_agent")]
    + [FIXTURES / "cloud" / name for name in (
        "azure", "bec", "bec-ual", "busy-office", "cloudtrail", "identity-benign",
        "oauth-mail-theft", "sentinel")]
    + [FIXTURES / "drift" / "multiweek"])


def reference(value, pretty: bool = False) -> bytes:
    if pretty:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2) + "\n"
    else:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "backslashreplace")


def check(value, batch: int | None = None) -> None:
    """Both forms equal the reference, also with small batches (every streaming path)."""
    with pytest.MonkeyPatch.context() as patch:
        if batch is not None:
            patch.setattr(case_json, "BATCH", batch)
        assert case_json.to_bytes(value) == reference(value)
        assert case_json.to_bytes(value, pretty=True) == reference(value, pretty=True)


@pytest.fixture(scope="module")
def kepler_doc(tmp_path_factory):
    pack = tmp_path_factory.mktemp("kepler") / "pack"
    write_pack(pack)
    return analyze([pack], Options(reproducible=True)).to_json()


@pytest.mark.parametrize("path", GOLDEN_CASES, ids=lambda p: p.name)
def test_every_golden_case_is_written_as_the_reference_encoder_writes_it(path):
    doc = analyze([path], Options(reproducible=True)).to_json()
    check(doc)
    check(doc, batch=2)


def test_the_kepler_case_streams_in_sections_and_batches(kepler_doc):
    check(kepler_doc)
    check(kepler_doc, batch=3)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(case_json, "BATCH", 3)
        chunks = list(case_json.iter_json(kepler_doc))
    steps = sum(len(t["steps"]) for t in kepler_doc["traces"])
    assert len(chunks) > steps // 3 and max(map(len, chunks)) < len(b"".join(chunks)) // 4


HOSTILE = {
    "unicode": "Jürgen 😀 \u2028\u2029 \ufeff", "controls": "\x00\x01\x07\x1b[2J\x7f\b\f\n\r\t\"\\",
    "surrogates": ["\udcff\udc80", "a\ud800b", {"\udc80key": 1}],
    "ints": [0, -1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 10**40, True, False],
    "floats": [0.0, -0.0, 1.0, 0.1, 1e-4, 9.999999999999999e-05, 1e-05, 1e-07, 5e-324, 1e16,
               1.7976931348623157e308, math.nan, math.inf, -math.inf, 0.9],
    "int_keys": {10: "ten", 9: "nine", -1: "minus"},
    "tuple": ("a", 1), "empty": [{}, [], ""], "none": None,
    "deep": {"a": [[[[{"b": [1, 2, {"c": "d"}]}]]]]},
}


@pytest.mark.parametrize("batch", [None, 1, 2])
def test_values_orjson_would_write_differently_fall_back_to_the_reference(batch):
    check(HOSTILE, batch)
    for key, value in HOSTILE.items():
        check({"section": value, "many": [value] * 5}, batch)


def test_a_lone_surrogate_is_an_escape_and_reads_back_as_itself():
    data = case_json.to_bytes({"s": "x\udc80y"})
    assert data == b'{"s":"x\\udc80y"}'
    assert json.loads(data) == {"s": "x\udc80y"}


def test_nan_is_written_as_the_reference_writes_it_not_as_null():
    assert case_json.to_bytes({"a": math.nan, "b": [math.inf]}) == b'{"a":NaN,"b":[Infinity]}'


def test_a_big_trace_is_written_step_by_step():
    steps = [{"index": i, "tool": "bash", "target": f"file-{i}", "refs": [{"locator": f"line {i}"}]}
             for i in range(2_000)]
    doc = {"traces": [{"session": "s", "steps": steps}, {"session": "t", "steps": []}],
           "graphs": [{"nodes": list(range(1_500)), "kind": "g"}]}
    check(doc)
    chunks = list(case_json.iter_json(doc))
    assert all(chunks) and max(map(len, chunks)) < len(b"".join(chunks)) // 3


json_leaves = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
               | st.floats(allow_nan=True, allow_infinity=True) | st.text())
json_values = st.recursive(
    json_leaves,
    lambda inner: (st.lists(inner, max_size=6) | st.dictionaries(st.text(), inner, max_size=6)
                   | st.dictionaries(st.integers(-5, 5), inner, max_size=3)),
    max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(value=json_values, batch=st.sampled_from([None, 1, 2]))
def test_any_json_value_is_written_as_the_reference_writes_it(value, batch):
    check({"section": value, "list": [value, value, value]}, batch)


def written_state(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_file_is_replaced_whole_and_leaves_no_temporary_file(tmp_path, kepler_doc):
    out = tmp_path / "case.json"
    out.write_bytes(b"previous")
    case_json.write_file(kepler_doc, out)
    assert written_state(tmp_path) == {"case.json": reference(kepler_doc)}
    case_json.write_file(kepler_doc, out, pretty=True)
    assert json.loads(out.read_bytes()) == kepler_doc
    assert written_state(tmp_path) == {"case.json": reference(kepler_doc, pretty=True)}


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_an_error_while_writing_leaves_the_previous_file_and_no_temporary_file(
        tmp_path, kepler_doc, monkeypatch, error):
    out = tmp_path / "case.json"
    out.write_bytes(b"previous")
    seen = []
    real = case_json.encode

    def failing(value, pretty=False):
        seen.append(sorted(p.name for p in tmp_path.iterdir()))
        if len(seen) == 20:
            raise error
        return real(value, pretty)
    monkeypatch.setattr(case_json, "encode", failing)
    with pytest.raises(type(error)):
        case_json.write_file(kepler_doc, out)
    assert f".case.json.tmp-{os.getpid()}" in seen[-1], "it wrote beside --out"
    assert written_state(tmp_path) == {"case.json": b"previous"}


def test_a_new_file_is_not_created_when_writing_fails(tmp_path, monkeypatch):
    monkeypatch.setattr(case_json, "encode", lambda value, pretty=False: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        case_json.write_file({"a": 1}, tmp_path / "case.json")
    assert list(tmp_path.iterdir()) == []
