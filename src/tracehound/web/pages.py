"""The workbench's two pages: the home page (drop evidence, list of cases) and a case page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from .api import case_or_404
from .cases import ACTIVE
from .views import case_view

router = APIRouter()


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    page = request.app.state.templates.get_template(template)
    return HTMLResponse(page.render(**context), status_code=status,
                        headers={"Cache-Control": "no-store"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    settings = request.app.state.settings
    return render(request, "home.html.j2", cases=request.app.state.library.all(),
                  max_upload_mb=settings.max_upload_bytes // (1024 * 1024),
                  max_files=settings.max_files)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str) -> HTMLResponse:
    try:
        case = case_or_404(request, case_id)
    except HTTPException:
        return render(request, "missing.html.j2", status=404, case_id=case_id)
    meta = case.meta()
    doc = case.document()
    active = meta.get("status") in ACTIVE
    view = case_view(doc, meta, case.root / "views") if doc is not None else None
    return render(request, "case.html.j2", meta=meta, view=view, active=active)
