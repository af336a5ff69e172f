"""The shared cloud tables at work: one case store, caps on artifacts, every source's MFA change."""

from __future__ import annotations

from m365_builders import R, artifacts, rule, run, ual
from tracehound.analyzers import Context, get
from tracehound.model import Event, line_ref
from tracehound.store import CaseStore

ADMIN, ADMIN_IP = "megan.bowen@contoso.com", "45.142.120.33"


def login(n: int, user: str) -> dict:
    return R.login(f"2024-03-11T02:{n:02d}:00", user, ADMIN_IP, "UA")


def test_user_summaries_past_the_cap_keep_the_most_active_users():
    events = ual(login(1, "a@contoso.com"), login(2, "b@contoso.com"), login(3, "b@contoso.com"),
                 login(4, "c@contoso.com"), login(5, "c@contoso.com"), login(6, "c@contoso.com"))
    every = artifacts("ual-analyzer", events)["ual_users"]
    assert [u["user"] for u in every] == ["a@contoso.com", "b@contoso.com", "c@contoso.com"]
    kept = artifacts("ual-analyzer", events, user_limit=2)["ual_users"]
    assert kept == every[1:]


def test_cross_service_pairs_are_capped():
    from tracehound.formats.cloud.saas_audit import row_event
    events = [row_event(line_ref("e" * 64, n), {"actor": "a@contoso.com", "action": "share",
                                                 "resource": resource, "service": service},
                        f"2024-03-11T03:{n:02d}:00Z", {})
              for n, (resource, service) in enumerate(
                  [("F1", "Box"), ("F1", "Dropbox"), ("F2", "Box"), ("F2", "Dropbox")], 1)]
    assert [p["resource"] for p in artifacts("saas-correlator", events)["saas_cross_service"]] \
        == ["F1", "F2"]
    assert [p["resource"] for p in artifacts("saas-correlator", events,
                                             cross_service_limit=1)["saas_cross_service"]] \
        == ["F1"]


def test_an_mfa_change_from_a_source_outside_the_cloud_list_is_still_reported():
    plugin = Event(ref=line_ref("f" * 64, 1), source="okta:system", time="2024-03-11T04:00:00Z",
                   action="user.mfa.factor.activate", actor_id=ADMIN,
                   attrs={"mfa_change": True, "mfa_method": "Okta Verify"})
    with CaseStore() as store:                  # in a case, the store holds every source
        store.load_events([plugin])
        found = list(get("account-activity").run([], Context(store=store)))
    assert [(f.severity, f.details["method"], [r.locator for r in f.refs]) for f in found] == [
        ("low", "Okta Verify", ["line 1"])]


def test_tools_on_one_store_share_detection_rows_and_match_their_own_runs():
    events = ual(rule("..", MarkAsRead="True"),
                 R.exchange("2024-03-11T03:00:00", "Add-MailboxPermission", ADMIN, ADMIN_IP,
                            "CEO", Identity="CEO", User="x@contoso.com",
                            AccessRights="FullAccess"))
    with CaseStore(memory_limit="64MB") as store:
        store.load_events(events)
        ctx = Context(store=store)
        audit = list(get("o365-audit").run(events, ctx))
        views = get("o365-views").artifacts(events, ctx)["o365_views"]
        ual_found = list(get("ual-analyzer").run(events, ctx))
        assert len(ctx.shared["cloud_query_rows"]) == 10         # every detection, queried once
        limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    assert limit == "61.0 MiB"                                    # the store's own, restored
    assert audit == run("o365-audit", events) and ual_found == run("ual-analyzer", events)
    suspicious = {v["view"]: v for v in views}["suspicious"]["rows"]
    assert [r["rule"] for r in suspicious] == ["TH-M365-INBOX-RULE", "TH-M365-MAILBOX-DELEGATION"]
