"""`tracehound serve [--port N]`: the local web workbench, on 127.0.0.1 only."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import app
from .common import EXIT_OK, EXIT_USAGE, fail


@app.command()
def serve(
    port: int = typer.Option(8765, "--port", help="TCP port on 127.0.0.1."),
    cases_dir: Optional[Path] = typer.Option(
        None, "--cases-dir", help="Where cases are kept (default "
        "~/.local/share/tracehound/cases).", file_okay=False),
    host: str = typer.Option("127.0.0.1", "--host", help="Only 127.0.0.1 is accepted: the "
                             "workbench never listens on a network interface."),
    max_upload_mb: int = typer.Option(2048, "--max-upload-mb",
                                      help="Largest upload (all files of a case) in MB."),
) -> None:
    """Open the local workbench: drop evidence, see the case, download the reports.

    Example: tracehound serve --port 8765, then open http://127.0.0.1:8765/
    """
    import uvicorn

    from ..web.app import Settings, create_app
    from ..web.cases import default_cases_dir
    from ..web.security import check_bind_host
    try:
        check_bind_host(host)
    except ValueError as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    if not 0 < port < 65536:
        raise fail(f"--port {port}: choose 1-65535", EXIT_USAGE)
    if max_upload_mb < 1:
        raise fail("--max-upload-mb must be at least 1", EXIT_USAGE)
    settings = Settings(port=port, cases_dir=(cases_dir or default_cases_dir()).expanduser(),
                        max_upload_bytes=max_upload_mb * 1024 * 1024)
    web_app = create_app(settings)
    typer.echo(f"tracehound workbench: http://127.0.0.1:{port}/  (cases in "
               f"{settings.cases_dir}; Ctrl-C stops it)")
    uvicorn.run(web_app, host=settings.host, port=port, log_level="warning",
                server_header=False, proxy_headers=False, access_log=False)
    raise typer.Exit(EXIT_OK)
