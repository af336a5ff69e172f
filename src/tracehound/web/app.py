"""The workbench application: `create_app(Settings)` wires cases, jobs, pages, API and guards.

No interactive API docs are served (they would load scripts from a CDN); every asset the
pages use is in `tracehound/web/static`.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .. import __version__
from ..report.escaping import visible
from .cases import CaseLibrary, default_cases_dir
from .jobs import JobBoard
from .security import LOOPBACK, BodyLimit, LoopbackGuard, allowed_authorities, check_bind_host

STATIC_DIR = Path(__file__).parent / "static"
MULTIPART_OVERHEAD = 4 * 1024 * 1024        # headers and boundaries around the uploaded bytes


@dataclass(frozen=True)
class Settings:
    port: int
    cases_dir: Path = field(default_factory=default_cases_dir)
    host: str = LOOPBACK
    max_upload_bytes: int = 2 * 1024 ** 3   # one upload (all its files together)
    max_files: int = 10_000                 # files in one upload
    workers: int = 2                        # analyses at the same time


def _finalize(value: Any) -> Any:
    """Every `{{ }}` string: make hiding characters (bidi overrides, zero-width) visible;
    autoescape then escapes it. Markup (our own macros' output) is already safe."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def template_environment() -> Environment:
    env = Environment(loader=PackageLoader("tracehound.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, finalize=_finalize, trim_blocks=True,
                      lstrip_blocks=True)
    env.globals["version"] = __version__
    return env


def create_app(settings: Settings) -> FastAPI:
    check_bind_host(settings.host)
    library = CaseLibrary(settings.cases_dir)
    library.mark_interrupted()
    jobs = JobBoard(settings.cases_dir / "worker.log", settings.workers)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    app = FastAPI(title="tracehound workbench", version=__version__, docs_url=None,
                  redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.library = library
    app.state.jobs = jobs
    app.state.templates = template_environment()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    from . import api, pages
    app.include_router(pages.router)
    app.include_router(api.router)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes + MULTIPART_OVERHEAD)
    app.add_middleware(LoopbackGuard, authorities=allowed_authorities(settings.port))
    return app
