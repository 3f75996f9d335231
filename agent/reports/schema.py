"""The published JSON Schemas of the report models, generated from the models themselves.

    python -m agent.reports.schema          # rewrite data/*.schema.json
    python -m agent.reports.schema --check  # exit 1 if the checked-in files drifted

A test runs the check, so a model change without a regenerated schema fails CI.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from agent.reports.model import FaultAnalysis, InspectionReport

DATA = Path(__file__).resolve().parent / "data"
SCHEMAS = {"inspection.schema.json": InspectionReport, "faults.schema.json": FaultAnalysis}
BASE_ID = "https://patrol.invalid/schemas/reports/"  # an identifier, never fetched


def schema_text(name: str) -> str:
    schema = SCHEMAS[name].model_json_schema(mode="serialization")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": BASE_ID + name, **schema}
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    drifted = []
    for name in SCHEMAS:
        path = DATA / name
        text = schema_text(name)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                drifted.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if drifted:
        print(f"drifted from the models: {', '.join(drifted)}; run python -m agent.reports.schema", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
