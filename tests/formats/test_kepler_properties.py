"""Property tests: no kepler parser raises on arbitrary bytes, and every issue has a locator."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st
from kepler_pack import KEPLER_FORMATS

from tracehound.formats import registry
from tracehound.formats.base import Sample, Source
from tracehound.model import Event, ParseIssue

LOCATOR_PREFIXES = ("line ", "row ", "json:")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["step_index", "tool", "tool_call_id", "arguments", "nodes", "edges",
                         "id", "mechanisms", "credential_uses", "RoleDetailList", "Statement",
                         "stated_intent", "actual_action", "approver", "dest_ip", "requests",
                         "tool_allowlist", "agent", "prompt", "timestamp", "x"]),
        inner, max_size=6),
    max_leaves=20)


def run_all(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "input"
        path.write_bytes(data)
        source = Source("input", path, hashlib.sha256(data).hexdigest(), len(data))
        sample = Sample.of(source)
        for name in KEPLER_FORMATS:
            parser = registry.get(name)
            parser.sniff(sample)
            for item in parser.parse(source):
                assert isinstance(item, (Event, ParseIssue))
                if isinstance(item, ParseIssue):
                    assert item.locator.startswith(LOCATOR_PREFIXES) and item.problem


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data):
    run_all(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(json_values, min_size=1, max_size=4), st.booleans())
def test_arbitrary_json_shapes_never_raise(values, as_lines):
    if as_lines:
        data = "\n".join(json.dumps(v) for v in values).encode()
    else:
        data = json.dumps(values[0] if isinstance(values[0], dict) else {"nodes": values,
                                                                        "edges": []}).encode()
    run_all(data)
