"""Tool 1, Office 365 audit log analyzer: the mailbox and tenant changes a BEC actor makes.

Flags, one finding per audit record (per user-hour for downloads): inbox rules that forward,
redirect, delete, mark as read, hide mail in RSS Feeds / Conversation History / Archive or
carry a 1-3 character or symbol-only name; mailbox forwarding; transport rules that copy,
divert or delete mail; file-download bursts above `bulk_download_per_hour` (default 50);
privileged directory role adds; high-scope OAuth consent; audit logging turned off. The
detections are SQL in `m365_detections`, shared with the UAL analyzer and the views.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from ...model import Event, Finding
from ..registry import Analyzer, Context, register
from . import m365_detections as detections
from .sql import connection, shared_rows


@register
class O365AuditAnalyzer(Analyzer):
    NAME = "o365-audit"
    VERSION = "1"
    FAMILY = "cloud"
    TITLE = ("Office 365 audit log: inbox rules, forwarding, transport rules, bulk downloads, "
             "privileged role adds, high-scope consent, audit disabled")
    CONSUMES = ("m365:ual",)

    def run(self, events: Sequence[Event], ctx: Context) -> Iterable[Finding]:
        with connection(events, ctx) as con:
            return detections.run(con, detections.O365_DETECTIONS, self.NAME, self.engine_version,
                                  detections.detection_settings(ctx), shared_rows(ctx))
