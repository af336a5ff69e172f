"""The loopback guard, the security headers, the upload cap and the no-remote-assets rule."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tracehound.cli import app as cli_app
from tracehound.web.app import Settings, create_app
from tracehound.web.security import CONTENT_SECURITY_POLICY, check_bind_host
from workbench_support import TEST_PORT

WEB = Path(__file__).parents[2] / "src" / "tracehound" / "web"


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1:9999",
                                  "localhost.evil.example:8765", "0.0.0.0:8765", "[::1]:8765"])
def test_foreign_host_is_refused_with_421(client: TestClient, host: str) -> None:
    response = client.get("/", headers={"host": host})
    assert response.status_code == 421
    assert "Host refused" in response.text


@pytest.mark.parametrize("host", [f"127.0.0.1:{TEST_PORT}", f"localhost:{TEST_PORT}"])
def test_loopback_host_is_served(client: TestClient, host: str) -> None:
    assert client.get("/", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "null",
                                    f"http://127.0.0.1:{TEST_PORT + 1}",
                                    f"https://127.0.0.1:{TEST_PORT}"])
def test_foreign_origin_on_post_is_refused_with_403(client: TestClient, origin: str) -> None:
    response = client.post("/api/cases", headers={"origin": origin},
                           files=[("files", ("a.ndjson", b"{}\n"))])
    assert response.status_code == 403
    assert list((client.app.state.library.root).iterdir()) == []     # nothing was stored


def test_cross_site_fetch_metadata_is_refused(client: TestClient) -> None:
    response = client.post("/api/cases", headers={"sec-fetch-site": "cross-site"},
                           files=[("files", ("a.ndjson", b"{}\n"))])
    assert response.status_code == 403


def test_foreign_origin_on_get_is_refused(client: TestClient) -> None:
    assert client.get("/api/cases", headers={"origin": "http://evil.example"}).status_code == 403


def test_same_origin_post_is_accepted(client: TestClient) -> None:
    response = client.post("/api/cases", headers={"origin": f"http://127.0.0.1:{TEST_PORT}",
                                                  "sec-fetch-site": "same-origin"},
                           files=[("files", ("a.ndjson", b"{}\n"))])
    assert response.status_code == 201


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/api/cases", "/cases/nope",
                                  "/api/jobs/0000000000000000"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"


def test_refusals_carry_the_security_headers_too(client: TestClient) -> None:
    headers = client.get("/", headers={"host": "evil.example"}).headers
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_csp_forbids_inline_script_and_remote_sources() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "http" not in CONTENT_SECURITY_POLICY


def test_no_api_docs_that_would_load_a_cdn(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/openapi.json"):
        assert client.get(path).status_code == 404


def test_assets_and_templates_name_no_remote_resource() -> None:
    remote = re.compile(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", re.IGNORECASE)
    for path in sorted((WEB / "static").iterdir()) + sorted((WEB / "templates").iterdir()):
        text = path.read_text(encoding="utf-8")
        text = text.replace("http://www.w3.org/2000/svg", "")       # a namespace, not a fetch
        assert not remote.search(text), f"{path.name} names a remote resource"
        assert "<script>" not in text and " on" + "load=" not in text, path.name


def test_templates_have_no_inline_script_or_handlers() -> None:
    for path in sorted((WEB / "templates").iterdir()):
        text = path.read_text(encoding="utf-8")
        assert re.search(r"<script(?![^>]*\ssrc=)", text) is None, path.name
        assert re.search(r"\son[a-z]+\s*=", text) is None, path.name
        assert "|safe" not in text and "Markup(" not in text, path.name


def test_upload_over_the_cap_is_refused_with_413(tmp_path: Path) -> None:
    app = create_app(Settings(port=TEST_PORT, cases_dir=tmp_path / "cases",
                              max_upload_bytes=64 * 1024))
    with TestClient(app, base_url=f"http://127.0.0.1:{TEST_PORT}") as client:
        big = b"x" * (6 * 1024 * 1024)
        response = client.post("/api/cases", files=[("files", ("big.ndjson", big))])
        assert response.status_code == 413
        assert "upload cap" in response.text


def test_streamed_body_without_length_is_cut_at_the_cap(tmp_path: Path) -> None:
    app = create_app(Settings(port=TEST_PORT, cases_dir=tmp_path / "cases",
                              max_upload_bytes=64 * 1024))

    async def chunks():
        yield (b'--xyz\r\nContent-Disposition: form-data; name="files"; filename="a.ndjson"'
               b'\r\nContent-Type: application/octet-stream\r\n\r\n')
        for _ in range(200):
            yield b"-" * 65536

    transport = httpx.ASGITransport(app=app)

    async def run() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport,
                                     base_url=f"http://127.0.0.1:{TEST_PORT}") as http:
            return await http.post("/api/cases", content=chunks(), headers={
                "content-type": "multipart/form-data; boundary=xyz"})

    import asyncio
    response = asyncio.run(run())
    assert response.status_code == 413
    assert list((tmp_path / "cases").iterdir()) == []


def test_bind_host_must_be_loopback() -> None:
    check_bind_host("127.0.0.1")
    for host in ("0.0.0.0", "::", "192.168.1.10", "localhost", "::1"):
        with pytest.raises(ValueError, match="127.0.0.1 only"):
            check_bind_host(host)
    with pytest.raises(ValueError):
        create_app(Settings(port=TEST_PORT, host="0.0.0.0"))


def test_serve_refuses_any_other_host(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--host", "0.0.0.0", "--cases-dir",
                                          str(tmp_path)])
    assert result.exit_code == 2
    assert "127.0.0.1 only" in result.output
