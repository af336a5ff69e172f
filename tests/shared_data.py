"""Where the project's shared real-world data lives: ../shared/data beside the repository
(CI lays it there too). TRACEHOUND_SHARED_DATA overrides it."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("TRACEHOUND_SHARED_DATA", REPO.parent / "shared" / "data"))
PLASO_SAMPLES = SHARED_DATA / "samples" / "plaso"
SIGMAHQ_CLOUD = SHARED_DATA / "sigmahq-cloud"
