"""bench/ is a folder of scripts, not a package: its modules are imported from it."""

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # last: its run.py must shadow nothing
