"""Write the sample reports of docs/samples from a seeded demo site (fixed clock).

    .venv/bin/python scripts/demo_reports.py [--out docs/samples] [--format html,pdf]

The same as `patrol report demo`: seven months of results and a dozen tickets for a
twelve-device office (agent/reports/demo.py) in a temporary store, then October 2026's
inspection report and 2026Q3's fault analysis, in Simplified Chinese and English.
The output is deterministic apart from the PDF's embedded creation date.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.reports.demo import write_samples  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs" / "samples")
    parser.add_argument("--format", default="html,pdf", help="comma-separated: html,pdf,md,json")
    args = parser.parse_args()
    for path in write_samples(args.out, [f for f in args.format.split(",") if f]):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
