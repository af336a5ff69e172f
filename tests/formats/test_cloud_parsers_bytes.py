"""Every Microsoft / SaaS cloud parser survives arbitrary bytes: events or located issues."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cloud_support import assert_located
from m365_support import source_of
from tracehound.formats import get

PARSERS = ["m365-ual", "entra-signin", "entra-audit", "ms-account-activity", "oauth-grants",
           "defender-cloudapps-alerts", "saas-audit-csv"]
PREFIXES = [b"", b"[", b"{\"value\": [", b"Date (UTC),IP address,Status\n",
            b"time,actor,action\n"]


@pytest.mark.parametrize("name", PARSERS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(PREFIXES), data=st.binary(max_size=300))
def test_arbitrary_bytes(tmp_path, name, prefix, data):
    assert_located(get(name).parse(source_of(tmp_path, prefix + data, "x")))
