from __future__ import annotations

import sys
from pathlib import Path

# the hand-built story lineage shared with the unit tests
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "unit" / "impact"))
