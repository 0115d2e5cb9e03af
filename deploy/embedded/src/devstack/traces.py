"""`devstack traces`: the traces that `make run` kept (.stack/traces/<service>.jsonl, written by plumbing's
FileSpanExporter), each printed as a tree: service, span name, duration. Standard library only."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path


def read_spans(directory: Path) -> list[dict]:
    """Every span of every service's file (the rotated `.jsonl.1` first, so that lines stay in time order)."""
    spans = []
    for path in sorted(directory.glob("*.jsonl.1")) + sorted(directory.glob("*.jsonl")):
        with path.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                try:
                    span = json.loads(line)
                except ValueError:  # a line cut by a process killed mid-write
                    continue
                if isinstance(span, dict) and span.get("trace_id") and span.get("span_id"):
                    spans.append(span)
    return spans


def last_traces(spans: Iterable[dict], count: int) -> list[str]:
    """The ids of the `count` traces that started last."""
    started: dict[str, int] = {}
    for span in spans:
        start = span.get("start") or 0
        started[span["trace_id"]] = min(start, started.get(span["trace_id"], start))
    return sorted(started, key=started.__getitem__)[-count:] if count > 0 else []


def tree(spans: list[dict], trace_id: str) -> list[str]:
    """One trace as indented lines: `service  name  duration`; a span whose parent is not kept (another
    service's file rotated away, a process stopped before exporting) is shown as a root."""
    mine = [span for span in spans if span["trace_id"] == trace_id]
    ids = {span["span_id"] for span in mine}
    children: dict[str | None, list[dict]] = defaultdict(list)
    for span in mine:
        parent = span.get("parent_id")
        children[parent if parent in ids else None].append(span)
    for group in children.values():
        group.sort(key=lambda span: span.get("start") or 0)
    lines = [f"trace {trace_id} ({len(mine)} spans)"]

    def walk(span: dict, depth: int) -> None:
        duration = span.get("duration_ms")
        took = f"{duration:.1f} ms" if isinstance(duration, (int, float)) else "?"
        status = "  ERROR" if span.get("status") == "ERROR" else ""
        lines.append(f"{'  ' * (depth + 1)}{span.get('service') or '?'}  {span.get('name')}  {took}{status}")
        for child in children.get(span["span_id"], ()):
            walk(child, depth + 1)

    for root in children.get(None, ()):
        walk(root, 0)
    return lines


def show(directory: Path, *, last: int = 5, trace_id: str | None = None) -> tuple[int, str]:
    """What `devstack traces` prints, and its exit status (1: nothing to show)."""
    if not directory.is_dir():
        return 1, f"no traces in {directory}: `make run` writes them there (EXTRANET_TRACING_EXPORTER=file)"
    spans = read_spans(directory)
    chosen = [trace_id.lower()] if trace_id else last_traces(spans, last)
    blocks = ["\n".join(tree(spans, chosen_id)) for chosen_id in chosen if any(s["trace_id"] == chosen_id for s in spans)]
    if not blocks:
        return 1, f"no trace {trace_id} in {directory}" if trace_id else f"no traces yet in {directory}"
    return 0, "\n\n".join(blocks)
