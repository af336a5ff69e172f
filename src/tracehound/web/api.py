"""The workbench's JSON API and downloads.

    POST /api/cases                       upload evidence (+ baseline) -> a case and its job
    GET  /api/cases                       every case, newest first
    GET  /api/cases/{id}                  one case's meta (status, uploads, summary)
    GET  /api/cases/{id}/case.json        the analysis (CONTRACT.md document)
    POST /api/cases/{id}/baseline         add or replace the scope baseline, analyze again
    POST /api/cases/{id}/analyze          analyze the stored evidence again
    GET  /api/cases/{id}/excerpt          the evidence record at ?sha256=&locator=
    GET  /api/jobs/{id}                   a job's progress
    GET  /cases/{id}/download/{name}      case.json, report.html, report.pdf, timeline.csv
"""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from .cases import ACTIVE, CaseFolder, Staged
from .excerpt import ExcerptError, excerpt
from .security import SANDBOX_POLICY
from .uploads import Form, UploadError, receive_form

router = APIRouter()
JOB_ID = re.compile(r"^[0-9a-f]{16}$")
DOWNLOADS = {
    "case.json": ("application/json", None),
    "report.html": ("text/html; charset=utf-8", "report-html"),
    "report.pdf": ("application/pdf", "report-pdf"),
    "timeline.csv": ("text/csv; charset=utf-8", "timeline"),
}


def case_or_404(request: Request, case_id: str) -> CaseFolder:
    try:
        return request.app.state.library.get(case_id)
    except KeyError:
        raise HTTPException(404, "no such case") from None


def _staged_uploads(case: CaseFolder, form: Form) -> list[Staged]:
    """The form's evidence files under the names given (`paths`, as a folder drop sends
    them, else each file's own name)."""
    taken: set[str] = set()
    paths = form.fields.get("paths", [])
    files = [f for f in form.files if f.field == "files"]
    return [case.staged(paths[index] if index < len(paths) and paths[index]
                        else upload.filename or f"upload-{index + 1}", upload, taken)
            for index, upload in enumerate(files)]


def _staged_baseline(case: CaseFolder, form: Form) -> Staged | None:
    upload = form.file("baseline")
    if upload is None:
        return None
    return case.staged(PurePosixPath(upload.filename).name or "baseline.yaml", upload, set())


def _discard(form: Form, keep: set[Path]) -> None:
    """Remove the form's files that are not kept (their slots under incoming/)."""
    for received in form.files:
        if received.path not in keep:
            shutil.rmtree(received.path.parent, ignore_errors=True)


async def _receive(request: Request, case: CaseFolder) -> Form:
    """The upload, its files written once, into the case's incoming folder."""
    settings = request.app.state.settings
    try:
        return await receive_form(request, case.incoming_dir, settings.max_files + 1,
                                  2 * settings.max_files + 16)
    except UploadError as exc:
        raise HTTPException(400, str(exc)) from None


def _title(paths: list[str]) -> str:
    tops = sorted({PurePosixPath(p).parts[0] for p in paths if PurePosixPath(p).parts})
    if not tops:
        return "untitled case"
    return tops[0] if len(tops) == 1 else f"{tops[0]} and {len(tops) - 1} more"


@router.post("/api/cases", status_code=201)
async def create_case(request: Request) -> dict[str, Any]:
    case = request.app.state.library.create("new case")
    try:
        form = await _receive(request, case)
        files = [f for f in form.files if f.field == "files"]
        if not files:
            raise HTTPException(400, "the upload holds no evidence files")
        if len(files) > request.app.state.settings.max_files:
            raise HTTPException(413, f"more than {request.app.state.settings.max_files} files")
        try:
            staged = _staged_uploads(case, form)
            base = _staged_baseline(case, form)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
    except BaseException:           # a refused or broken upload leaves no case behind
        await run_in_threadpool(shutil.rmtree, case.root, True)
        raise
    kept = {s.path for s in staged} | ({base.path} if base else set())
    await run_in_threadpool(_discard, form, kept)      # e.g. an empty baseline field
    case.update(title=_title([s.relpath for s in staged]))
    job = request.app.state.jobs.analyze(case, staged, base)
    return {"case_id": case.id, "url": f"/cases/{case.id}", "job": job.to_json()}


@router.get("/api/cases")
def list_cases(request: Request) -> list[dict[str, Any]]:
    return request.app.state.library.all()


@router.get("/api/cases/{case_id}")
def case_meta(request: Request, case_id: str) -> dict[str, Any]:
    return case_or_404(request, case_id).meta()


@router.get("/api/cases/{case_id}/case.json")
def case_document(request: Request, case_id: str) -> FileResponse:
    case = case_or_404(request, case_id)
    if not case.case_json.is_file():
        raise HTTPException(409, "this case has not been analyzed yet")
    return FileResponse(case.case_json, media_type="application/json")


def _refuse_if_busy(case: CaseFolder) -> None:
    if case.meta().get("status") in ACTIVE:
        raise HTTPException(409, "an analysis of this case is already running")


@router.post("/api/cases/{case_id}/baseline", status_code=202)
async def add_baseline(request: Request, case_id: str) -> dict[str, Any]:
    case = case_or_404(request, case_id)
    _refuse_if_busy(case)
    form = await _receive(request, case)
    try:
        staged = _staged_baseline(case, form)
    except ValueError as exc:
        staged, problem = None, str(exc)
    else:
        problem = "no baseline file in the upload"
    # anything but the baseline is not kept
    await run_in_threadpool(_discard, form, {staged.path} if staged else set())
    if staged is None:
        raise HTTPException(400, problem)
    job = request.app.state.jobs.analyze(case, [], staged)
    return {"case_id": case.id, "url": f"/cases/{case.id}", "job": job.to_json()}


@router.post("/api/cases/{case_id}/analyze", status_code=202)
def analyze_again(request: Request, case_id: str) -> dict[str, Any]:
    case = case_or_404(request, case_id)
    _refuse_if_busy(case)
    job = request.app.state.jobs.analyze(case)
    return {"case_id": case.id, "url": f"/cases/{case.id}", "job": job.to_json()}


@router.get("/api/cases/{case_id}/excerpt")
async def evidence_excerpt(request: Request, case_id: str, sha256: str,
                           locator: str) -> JSONResponse:
    case = case_or_404(request, case_id)
    doc = case.document()
    if doc is None:
        raise HTTPException(409, "this case has not been analyzed yet")
    try:
        found = await run_in_threadpool(excerpt, case.evidence_dir, doc.get("evidence") or [],
                                        sha256, locator)
    except ExcerptError as exc:
        raise HTTPException(404, str(exc)) from None
    return JSONResponse(found, headers={"Cache-Control": "no-store"})


@router.get("/api/jobs/{job_id}")
def job_state(request: Request, job_id: str) -> JSONResponse:
    if not JOB_ID.match(job_id):
        raise HTTPException(404, "no such job")
    try:
        job = request.app.state.jobs.get(job_id)
    except KeyError:
        raise HTTPException(404, "no such job (the server may have restarted)") from None
    return JSONResponse(job.to_json(), headers={"Cache-Control": "no-store"})


@router.get("/cases/{case_id}/download/{name}")
async def download(request: Request, case_id: str, name: str) -> FileResponse:
    case = case_or_404(request, case_id)
    if name not in DOWNLOADS:
        raise HTTPException(404, "no such download")
    if not case.case_json.is_file() or case.meta().get("status") in ACTIVE:
        raise HTTPException(409, "this case has no finished analysis to download yet")
    media_type, kind = DOWNLOADS[name]
    target = case.case_json if kind is None else case.reports_dir / name
    if kind is not None and not target.is_file():
        job = await asyncio.wrap_future(request.app.state.jobs.render(case, kind))
        if job.state == "unavailable":
            raise HTTPException(503, job.error)
        if job.state != "done" or not target.is_file():
            raise HTTPException(500, f"could not make {name}: {job.error}")
    return FileResponse(target, media_type=media_type, filename=f"tracehound-{case.id}-{name}",
                        headers={"Content-Security-Policy": SANDBOX_POLICY,
                                 "Cache-Control": "no-store"})
