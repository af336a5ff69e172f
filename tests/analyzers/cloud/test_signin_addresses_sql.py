"""The SQL path of signin-addresses (new_addresses_sql, egress_sql) finds what the Python rules
(new_addresses, egress) find over the same sign-ins, in the same order."""

from __future__ import annotations

import random

import duckdb
import pytest

from tracehound.analyzers.cloud.signin_addresses import (SUCCESSES, egress, egress_sql,
                                                         judge_signins, new_addresses,
                                                         new_addresses_sql)
from tracehound.analyzers.cloud.sql import rows

ACTORS = ["megan@contoso.com", "Megan@Contoso.com", "ADELE@contoso.com", "adele@contoso.com",
          "İlker@contoso.com", "lee@contoso.com", "svc@contoso.com", "no-at-sign"]
IPS = ["198.51.100.23", "198.51.100.24", "91.132.139.20", "2a0d:5600:24:1d::a",
       "2a0d:5600:24:1d:ffff::1", "2a0d:5600:24:2::1", "::ffff:198.51.100.23", "not an address",
       "10.0.0.1", None]


def signins(seed: int, count: int) -> list[tuple]:
    rnd = random.Random(seed)
    out = []
    for n in range(count):
        day = rnd.randrange(1, 9)
        # few distinct times, so that sign-ins share a time (one sign-in seen in two logs)
        clock = rnd.choice(("08:00:00", "08:00:00", "09:30:00", "23:59:59"))
        time = None if rnd.random() < 0.03 else f"2024-04-{day:02d}T{clock}Z"
        out.append((rnd.choice(ACTORS), rnd.choice(IPS), time, rnd.choice(("UA", None)),
                    None, rnd.choice(("entra:signin", "m365:ual")),
                    rnd.choice(("a" * 64, "b" * 64)), f"line {n}",
                    rnd.choice(("success", "success", "success", "failure"))))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_sql_path_finds_what_the_python_rules_find(seed):
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE th_signins (actor VARCHAR, ip VARCHAR, time VARCHAR, "
                "agent VARCHAR, app_id VARCHAR, source VARCHAR, sha256 VARCHAR, "
                "locator VARCHAR, outcome VARCHAR)")
    con.executemany("INSERT INTO th_signins VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    signins(seed, 400 + 150 * seed))
    found = rows(con, SUCCESSES)
    judge_signins(con)
    for max_accounts in (1, 2, 3, 5):
        assert egress_sql(con, max_accounts) == egress(found, max_accounts)
    for history_days in (0, 1, 2, 3, 6):
        expected = new_addresses(found, history_days)
        assert new_addresses_sql(con, history_days) == expected
        outs = egress(found, 3)
        assert new_addresses_sql(con, history_days, outs) == [
            h for h in expected if h.key not in outs]
    con.close()


def test_no_signins_judge_to_nothing():
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE th_signins (actor VARCHAR, ip VARCHAR, time VARCHAR, "
                "agent VARCHAR, app_id VARCHAR, source VARCHAR, sha256 VARCHAR, "
                "locator VARCHAR, outcome VARCHAR)")
    judge_signins(con)
    assert egress_sql(con, 3) == set() and new_addresses_sql(con, 2) == []
    con.close()
