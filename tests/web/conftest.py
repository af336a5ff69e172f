"""Fixtures of the workbench tests: an app on a temp cases folder, a live server, kepler."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient

from tracehound.web.app import Settings, create_app
from workbench_support import TEST_PORT, LiveServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "load: concurrent analyses over loopback HTTP")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(port=TEST_PORT, cases_dir=tmp_path / "cases"))
    with TestClient(app, base_url=f"http://127.0.0.1:{TEST_PORT}") as test_client:
        yield test_client


@pytest.fixture(scope="session")
def kepler_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tracehound.fixtures.kepler import write_pack
    out = tmp_path_factory.mktemp("kepler") / "kepler-pack"
    write_pack(out)
    return out


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("live") / "cases") as server:
        yield server
