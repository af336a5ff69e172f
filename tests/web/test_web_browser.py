"""The workbench in real headless Chromium (Debian's package, never a downloaded browser).

A live uvicorn server on a free loopback port and a temp cases folder; Playwright drives the
page as a user would: pick or drop the kepler pack, wait for the analysis, read the case,
filter findings, open an excerpt, download the report. Every page load records dialogs,
requests to anything but the server, and Content-Security-Policy violations: all must stay
empty.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from workbench_support import (ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, FIXTURES, LiveServer,
                               case_json)

pytestmark = pytest.mark.browser
CASE_URL = re.compile(r"/cases/\d{8}-\d{6}-[0-9a-f]{6}$")
PAYLOADS: list[str] = json.loads((FIXTURES / "xss-payloads.json").read_text(encoding="utf-8"))
BASELINE = b"""agents:
  - agent_id: "kepler-sre-agent-01"
    tools:
      - {name: "aws.s3.list-buckets", operations: [read]}
    actions: [Read]
"""

# Anything on the page that is not ours: scripts other than app.js, embedded content, SVG
# other than our two charts, event-handler attributes, javascript: links.
INJECTED = """() => {
  const bad = [];
  const ours = (el) => el.matches('script[src="/static/app.js"]');
  for (const el of document.querySelectorAll(
      'script, img, iframe, object, embed, video, audio, source, math, base, style, frame,'
      + ' meta[http-equiv], link:not([rel="stylesheet"]):not([rel="icon"]), svg, form[action]')) {
    if (ours(el) || el.matches('svg.th-chart, svg.th-graph')) continue;
    bad.push(el.outerHTML.slice(0, 120));
  }
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith('on')) bad.push(el.tagName + ' ' + attr.name);
      if (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(attr.name)
          && /^\\s*(javascript|data|vbscript):/i.test(attr.value)) bad.push(attr.value);
    }
  }
  return bad;
}"""


@dataclass
class Session:
    page: Page
    server: LiveServer
    dialogs: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    def clean(self) -> None:
        assert self.dialogs == [], f"dialogs fired: {self.dialogs}"
        assert self.foreign == [], f"requests left the server: {self.foreign}"
        assert self.csp == [], f"Content-Security-Policy violations: {self.csp}"

    def analyze(self, timeout: float = 30_000) -> str:
        self.page.click("#analyze")
        self.page.wait_for_url(CASE_URL, timeout=timeout)
        self.page.wait_for_selector('[data-testid="case-status"]:text("done")')
        return self.page.url.rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), "Debian's chromium is not installed: run `make system-deps`"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS + ["--host-resolver-rules=MAP rebind.test 127.0.0.1"])
        yield launched
        launched.close()


@pytest.fixture
def session(browser: Browser, live_server: LiveServer) -> Iterator[Session]:
    context = browser.new_context(accept_downloads=True,
                                  viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    s = Session(page, live_server)

    def on_dialog(dialog) -> None:
        s.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: None if r.url.startswith((live_server.url, "data:", "blob:"))
            else s.foreign.append(r.url))
    page.on("console", lambda m: s.csp.append(m.text)
            if "Content Security Policy" in m.text else None)
    yield s
    context.close()


def test_kepler_pack_through_the_folder_picker(session: Session, kepler_pack: Path) -> None:
    page = session.page
    page.goto(session.server.url + "/")
    polled: list[dict] = []
    page.on("response", lambda r: polled.append(r.json()) if "/api/jobs/" in r.url else None)
    page.set_input_files("#pick-folder", str(kepler_pack))
    assert page.inner_text('[data-testid="staged-summary"]').startswith("9 files")
    case_id = session.analyze()
    assert polled and all(p["case_id"] == case_id for p in polled)  # progress was followed
    percents = [p["percent"] for p in polled]
    assert percents == sorted(percents)
    doc = case_json(session.server.cases_dir, case_id)

    steps = sum(len(t["steps"]) for t in doc["traces"])
    assert steps == 26
    assert page.inner_text('[data-testid="step-count"]') == "26"
    assert page.locator("tr.step-row").count() == 26
    assert page.inner_text('[data-testid="finding-count"]') == str(len(doc["findings"]))
    assert page.locator("tr.finding-row").count() == len(doc["findings"])
    for severity in ("info", "low", "medium", "high", "critical"):
        expected = sum(1 for f in doc["findings"] if f["severity"] == severity)
        badge = page.locator(f'[data-testid="severity-{severity}"]')
        assert (badge.get_attribute("data-count") if badge.count() else "0") == str(expected)
    assert doc["classification"]["case_type"] == "agent-runaway"
    assert page.inner_text('[data-testid="case-type"]') == "agent-runaway"
    assert page.inner_text('[data-testid="incident-type"]') == (
        doc["classification"]["incident_type"])

    critical = sum(1 for f in doc["findings"] if f["severity"] == "critical")
    page.select_option("#filter-severity", "critical")
    assert page.locator("tr.finding-row:visible").count() == critical
    assert page.inner_text('[data-testid="finding-shown"]') == (
        f"{critical} of {len(doc['findings'])} shown")
    page.select_option("#filter-severity", "")
    page.select_option("#filter-category", "exfiltration")
    exfil = sum(1 for f in doc["findings"] if f["category"] == "exfiltration")
    assert page.locator("tr.finding-row:visible").count() == exfil >= 1
    page.select_option("#filter-category", "")

    first_ref = page.locator("tr.step-row a.ref").first
    first_ref.click()
    page.wait_for_selector('[data-testid="excerpt"]:visible')
    expect(page.locator("#excerpt-text")).not_to_be_empty()
    expected = httpx.get(session.server.url + first_ref.get_attribute("href")).json()
    assert page.locator("#excerpt-text").text_content() == expected["text"]
    assert '"step_index":1' in expected["text"]
    page.click("#excerpt-close")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "case-page.png"), full_page=True)

    with page.expect_download(timeout=60_000) as download_info:
        page.click('[data-testid="download-html"]')
    download = download_info.value
    assert download.suggested_filename == f"tracehound-{case_id}-report.html"
    report = Path(download.path()).read_text(encoding="utf-8")
    assert "kepler-sre-agent-01" in report and "26" in report
    session.clean()


def test_kepler_pack_dropped_with_a_datatransfer(session: Session, kepler_pack: Path) -> None:
    page = session.page
    page.goto(session.server.url + "/")
    contents = {p.name: p.read_text(encoding="utf-8") for p in sorted(kepler_pack.iterdir())}
    page.evaluate("""(files) => {
      const dt = new DataTransfer();
      for (const [name, text] of Object.entries(files)) {
        dt.items.add(new File([text], name, {type: "application/octet-stream"}));
      }
      const zone = document.getElementById("dropzone");
      for (const type of ["dragenter", "dragover", "drop"]) {
        zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true,
                                                dataTransfer: dt}));
      }
    }""", contents)
    page.wait_for_selector('[data-testid="staged-summary"]:text("9 files")')
    case_id = session.analyze()
    doc = case_json(session.server.cases_dir, case_id)
    assert sorted(e["path"] for e in doc["evidence"]) == sorted(contents)
    assert page.inner_text('[data-testid="step-count"]') == "26"
    assert page.inner_text('[data-testid="finding-count"]') == str(len(doc["findings"]))
    assert page.inner_text('[data-testid="case-type"]') == "agent-runaway"

    page.set_input_files("#add-baseline", {"name": "scope.yaml", "mimeType": "text/yaml",
                                           "buffer": BASELINE})
    page.wait_for_selector('td:text("baseline: scope.yaml")', timeout=30_000)
    meta = httpx.get(f"{session.server.url}/api/cases/{case_id}").json()
    assert meta["status"] == "done" and meta["baseline"]["name"] == "scope.yaml"
    session.clean()


def _xss_files() -> list[dict]:
    trace = (FIXTURES / "xss-agent-trace.ndjson").read_bytes()
    files = [{"name": f"{PAYLOADS[1]}.ndjson", "mimeType": "application/x-ndjson",
              "buffer": trace}]
    for number, payload in enumerate(PAYLOADS[:6]):
        files.append({"name": payload.replace("/", "_") + f"-{number}.txt",
                      "mimeType": "text/plain", "buffer": payload.encode("utf-8")})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("<svg onload=alert('xss-member')>/payloads.json",
                   (FIXTURES / "xss-payloads.json").read_bytes())
    files.append({"name": "javascript:alert('xss-zip').zip", "mimeType": "application/zip",
                  "buffer": archive.getvalue()})
    return files


def test_xss_evidence_never_becomes_markup(session: Session) -> None:
    page = session.page
    page.goto(session.server.url + "/")
    page.set_input_files("#pick-files", _xss_files())
    case_id = session.analyze()
    doc = case_json(session.server.cases_dir, case_id)
    assert len(doc["traces"][0]["steps"]) == 6 and doc["findings"]

    assert page.evaluate(INJECTED) == []
    body = page.inner_text("body")
    assert "sess-<script>alert('xss-session')</script>" in body  # shown as text
    assert "<svg onload=alert('xss-tool')>" in body
    for link in page.locator("a.ref").all()[:12]:                 # excerpts hold raw payloads
        link.click()
        expect(page.locator("#excerpt-note")).not_to_have_text("loading…")
    assert "alert(" in page.locator("#excerpt-text").text_content()
    page.select_option("#filter-category", doc["findings"][0]["category"])
    assert page.evaluate(INJECTED) == []

    page.goto(session.server.url + "/")                            # titles on the case list
    assert page.evaluate(INJECTED) == []
    assert PAYLOADS[1] in page.inner_text("#case-list")
    session.clean()


def test_dns_rebinding_and_cross_site_requests_are_refused(session: Session) -> None:
    server = session.server
    page = session.page
    response = page.goto(f"http://rebind.test:{server.port}/")        # resolves to 127.0.0.1
    assert response is not None and response.status == 421
    session.foreign.clear()

    assert httpx.get(server.url + "/", headers={"host": "evil.example"}).status_code == 421
    assert httpx.post(server.url + "/api/cases", headers={"origin": "http://evil.example"},
                      files={"files": ("a.ndjson", b"{}\n")}).status_code == 403

    before = sorted(p.name for p in server.cases_dir.iterdir())
    page.route("http://attacker.test/", lambda route: route.fulfill(
        content_type="text/html",
        body=f"""<script>
          const form = new FormData();
          form.append("files", new Blob(['{{"a":1}}']), "csrf.ndjson");
          fetch("{server.url}/api/cases", {{method: "POST", body: form, mode: "no-cors"}})
            .finally(() => {{ document.title = "sent"; }});
        </script>"""))
    page.goto("http://attacker.test/")
    expect(page).to_have_title("sent")
    assert sorted(p.name for p in server.cases_dir.iterdir()) == before
