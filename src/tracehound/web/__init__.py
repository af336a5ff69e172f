"""The local web workbench (`tracehound serve`): FastAPI on 127.0.0.1 only.

Modules: app (wiring), security (loopback guard, headers, body cap), cases (case folders on
disk), jobs (analysis jobs and their progress), worker (the analysis process), excerpt
(evidence records behind a ref), views and charts (what the case page shows), api and pages
(routes), templates/ and static/ (all assets served locally).
"""
