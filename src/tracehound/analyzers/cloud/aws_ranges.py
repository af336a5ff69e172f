"""Whether an address belongs to AWS, from a dated snapshot of AWS's ip-ranges.json shipped
with the package (data/aws_ip_ranges.txt; its header names the source, syncToken and
createDate). Nothing is downloaded: an address AWS acquired after the snapshot reads as
outside AWS, and findings that rest on it name the snapshot's date.
"""

from __future__ import annotations

import bisect
import ipaddress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

RANGES_FILE = Path(__file__).resolve().parent / "data" / "aws_ip_ranges.txt"


@dataclass(frozen=True)
class AwsRanges:
    """Sorted, non-overlapping (first, last) integer spans per IP version."""
    spans: dict[int, tuple[tuple[int, int], ...]]
    sync_token: str
    create_date: str

    @property
    def snapshot(self) -> str:
        return f"AWS ip-ranges.json of {self.create_date} (syncToken {self.sync_token})"

    def kind(self, address: str | None) -> str:
        """'aws', 'outside', 'private' (not routable on the internet) or 'none' (no address:
        an AWS service name such as `ec2.amazonaws.com`, or `AWS Internal`)."""
        try:
            ip = ipaddress.ip_address(str(address or "").strip())
        except ValueError:
            return "none"
        if not ip.is_global:
            return "private"
        spans = self.spans.get(ip.version, ())
        value = int(ip)
        index = bisect.bisect_right(spans, (value, float("inf"))) - 1
        return "aws" if index >= 0 and spans[index][0] <= value <= spans[index][1] \
            else "outside"


@lru_cache(maxsize=1)
def aws_ranges(path: Path = RANGES_FILE) -> AwsRanges:
    header: dict[str, str] = {}
    spans: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            header.setdefault(key.strip(), value.strip())
        elif line.strip():
            net = ipaddress.ip_network(line.strip())
            spans[net.version].append((int(net.network_address), int(net.broadcast_address)))
    return AwsRanges({v: tuple(sorted(s)) for v, s in spans.items()},
                     header.get("syncToken", "unknown"), header.get("createDate", "unknown"))
