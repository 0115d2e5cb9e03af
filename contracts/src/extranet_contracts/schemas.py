"""Generates `contracts/schemas/` from the event models, and checks that they agree.

    python -m extranet_contracts.schemas           # rewrite the schema files
    python -m extranet_contracts.schemas --check   # exit 1 if a file differs from its model
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extranet_contracts.catalogue import CATALOGUE

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def file_name(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.schema.json"


def render_all() -> dict[str, str]:
    """File name -> expected content, for every model of the catalogue."""
    rendered = {}
    for (event_type, version), model in sorted(CATALOGUE.items()):
        schema = model.model_json_schema()
        schema["$id"] = f"urn:extranet:event:{event_type}:v{version}"
        schema["x-topic"] = model.STREAM
        schema["x-event-version"] = version
        rendered[file_name(event_type, version)] = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return rendered


def differences(directory: Path = SCHEMA_DIR) -> list[str]:
    """Human-readable list of schema files that are missing, stale or orphaned."""
    expected = render_all()
    problems = []
    for name, content in expected.items():
        path = directory / name
        if not path.exists():
            problems.append(f"missing: {name}")
        elif path.read_text(encoding="utf-8") != content:
            problems.append(f"differs from its model: {name}")
    for path in sorted(directory.glob("*.schema.json")):
        if path.name not in expected:
            problems.append(f"no model for: {path.name}")
    return problems


def write_all(directory: Path = SCHEMA_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    expected = render_all()
    for path in directory.glob("*.schema.json"):
        if path.name not in expected:
            path.unlink()
    for name, content in expected.items():
        (directory / name).write_text(content, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = differences()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    write_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
