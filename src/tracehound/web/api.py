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
from pathlib import PurePosixPath
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .cases import ACTIVE, CaseFolder, Staged
from .excerpt import ExcerptError, excerpt
from .security import SANDBOX_POLICY

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


def _stage_uploads(case: CaseFolder, files: list[UploadFile], paths: list[Any]) -> list[Staged]:
    taken: set[str] = set()
    staged = []
    for index, upload in enumerate(files):
        given = paths[index] if index < len(paths) and isinstance(paths[index], str) \
            and paths[index] else upload.filename or f"upload-{index + 1}"
        staged.append(case.stage(given, upload.file, taken))
    return staged


def _stage_baseline(case: CaseFolder, upload: UploadFile) -> Staged:
    return case.stage(PurePosixPath(upload.filename or "baseline.yaml").name or "baseline.yaml",
                      upload.file, set())


async def _read_form(request: Request):
    settings = request.app.state.settings
    return await request.form(max_files=settings.max_files + 1,
                              max_fields=2 * settings.max_files + 16)


def _title(paths: list[str]) -> str:
    tops = sorted({PurePosixPath(p).parts[0] for p in paths if PurePosixPath(p).parts})
    if not tops:
        return "untitled case"
    return tops[0] if len(tops) == 1 else f"{tops[0]} and {len(tops) - 1} more"


@router.post("/api/cases", status_code=201)
async def create_case(request: Request) -> dict[str, Any]:
    form = await _read_form(request)
    try:
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
        paths = list(form.getlist("paths"))
        baseline = form.get("baseline")
        if not files:
            raise HTTPException(400, "the upload holds no evidence files")
        if len(files) > request.app.state.settings.max_files:
            raise HTTPException(413, f"more than {request.app.state.settings.max_files} files")
        case = request.app.state.library.create("new case")
        try:
            staged = await run_in_threadpool(_stage_uploads, case, files, paths)
            base = (await run_in_threadpool(_stage_baseline, case, baseline)
                    if isinstance(baseline, UploadFile) and baseline.filename else None)
        except ValueError as exc:
            shutil.rmtree(case.root, ignore_errors=True)
            raise HTTPException(400, str(exc)) from None
    finally:
        await form.close()
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
    form = await _read_form(request)
    try:
        baseline = form.get("baseline")
        if not isinstance(baseline, UploadFile) or not baseline.filename:
            raise HTTPException(400, "no baseline file in the upload")
        try:
            staged = await run_in_threadpool(_stage_baseline, case, baseline)
        except ValueError as exc:
            raise HTTPException(400, str(exc)) from None
    finally:
        await form.close()
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
