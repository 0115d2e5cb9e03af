"""Runs every benchmark of bench/ in turn (`make bench`). Each prints its figures and ratios."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCHES = ["portfolio_ingest.py", "notifications_throughput.py", "broker_routes.py", "member_routes.py", "employer_routes.py"]

if __name__ == "__main__":
    here = Path(__file__).parent
    failed = 0
    for name in BENCHES:
        print(f"== {name}", flush=True)
        failed |= subprocess.call([sys.executable, str(here / name), *sys.argv[1:]])
    sys.exit(failed)
