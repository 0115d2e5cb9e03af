"""The `devstack` command. Standard library only at module level (setup and stop run before/without the venv)."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from devstack.config import Layout, Ports, find_root


def _say(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def cmd_setup(layout: Layout, args) -> int:
    from devstack.bootstrap import SetupError, run_setup

    try:
        run_setup(layout, python=not args.skip_python)
    except SetupError as exc:
        print(f"[setup] error: {exc}", file=sys.stderr)
        return 1
    return 0


def _describe(infra) -> None:
    _say(f"Kafka       {infra.kafka_bootstrap}")
    _say(f"PostgreSQL  {infra.database_url.split('@')[-1]} (user extranet, password in .stack/secrets/postgres-password)")


def cmd_infra_up(layout: Layout, args) -> int:
    from devstack.infra import ensure_infra

    started = time.monotonic()
    try:
        infra = ensure_infra(layout.root, allow_docker=False)
    except RuntimeError as exc:
        print(f"[devstack] error: {exc}", file=sys.stderr)
        return 1
    _say(("started" if infra.started_here else "already running") + f" in {time.monotonic() - started:.1f}s")
    _describe(infra)
    _say(f"logs in {layout.logs}")
    if args.detach or not infra.started_here:
        if infra.started_here:
            _say("left running in the background: `devstack infra down` stops it")
        return 0
    _say("Ctrl-C stops it")
    stop = {"flag": False}

    def handler(signum, frame):
        stop["flag"] = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop["flag"]:
        time.sleep(0.3)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _say("stopping Kafka and PostgreSQL")
    infra.stop()
    _say("stopped")
    return 0


def cmd_infra_down(layout: Layout, args) -> int:
    from devstack.infra import stop_embedded

    stopped = stop_embedded(layout.root)
    _say(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def cmd_stop(layout: Layout, args) -> int:
    from devstack.run import stop_services, stop_supervisor

    # A running `devstack run` first (it stops its services; left alone, it would restart them).
    supervisor = stop_supervisor(layout)
    if supervisor is not None:
        _say(f"stopped devstack run (pid {supervisor}) and its services")
    services = stop_services(layout)
    if services:
        _say(f"stopped leftover services: {', '.join(services)}")
    return cmd_infra_down(layout, args)


def cmd_clean(layout: Layout, args) -> int:
    import shutil

    from devstack import postgres

    if layout.stack.is_dir():
        cmd_stop(layout, args)
    for folder in postgres.remove_external(layout):
        _say(f"removed {folder}")
    if layout.stack.is_dir():
        shutil.rmtree(layout.stack)
        _say(f"removed {layout.stack}")
    return 0


def cmd_status(layout: Layout, args) -> int:
    from devstack import declaration, kafka, postgres
    from devstack.procs import port_open, read_pid
    from devstack.run import http_json, read_restarts

    ports = Ports.from_env(layout.root)

    def rel(path: Path) -> str:
        try:
            return str(path.relative_to(layout.root))
        except ValueError:
            return str(path)

    restarts = read_restarts(layout)
    rows = []
    kpid = kafka.running_pid(layout)
    rows.append(("kafka", kpid, f"127.0.0.1:{ports.kafka}", port_open(ports.kafka), rel(layout.log("kafka"))))
    ppid = postgres.running_pid(layout)
    rows.append(("postgres", ppid, f"127.0.0.1:{ports.postgres}", port_open(ports.postgres), rel(layout.log("postgres"))))
    for process in declaration.load(layout.root).listing_order():
        pid = read_pid(layout.pidfile(process.name), expect_in_cmdline=process.command)
        port = ports[process.port.name]
        ready = http_json(f"http://127.0.0.1:{port}{process.ready_path}", timeout=1.0)[0] == 200 if pid else False
        rows.append((process.name, pid, f"http://127.0.0.1:{port}", ready, rel(layout.log(process.name))))
    # restarts / last exit: by the running `devstack run`, since it started (Kafka and PostgreSQL: none).
    print(f"{'process':<21} {'state':<9} {'pid':>7}  {'address':<24} {'answers':<7}  {'restarts':>8}  {'last exit':<26}  log")
    for name, pid, address, answering, log in rows:
        state = "running" if pid else ("external" if answering else "stopped")
        restarted = restarts.get(name) or {}
        last = f"{restarted['last_exit']} at {restarted.get('last_exit_at', '?')[11:19]}" if restarted.get("last_exit") else "-"
        count = restarted.get("restarts", 0) if name not in ("kafka", "postgres") else "-"  # not restarted by devstack run
        print(f"{name:<21} {state:<9} {pid or '-':>7}  {address:<24} {'yes' if answering else 'no':<7}  {count:>8}  {last:<26}  {log}")
    demo = "loaded" if layout.demo_marker.is_file() else "not loaded"
    print(f"demo data: {demo}; state folder: {rel(layout.stack)}")
    if postgres.home(layout) is not None:
        print(
            f"PostgreSQL data: {postgres.data_dir(layout)} (the `postgres` user cannot reach {rel(layout.stack)}; `make clean` removes it)"
        )
    return 0


def cmd_run(layout: Layout, args) -> int:
    from devstack.run import run

    return run(layout, Ports.from_env(layout.root), demo=not args.no_demo)


def cmd_traces(layout: Layout, args) -> int:
    from devstack.traces import show

    status, text = show(args.dir or layout.stack / "traces", last=args.last, trace_id=args.trace)
    print(text, file=sys.stdout if status == 0 else sys.stderr)
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="devstack",
        description="The embedded stack: Kafka, PostgreSQL and the services on one machine, no Docker. State in <root>/.stack/.",
    )
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: found from here)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("setup", help="install what the stack needs (idempotent)")
    p.add_argument("--skip-python", action="store_true", help="skip the pip step")
    p.set_defaults(func=cmd_setup)

    infra = sub.add_parser("infra", help="Kafka and PostgreSQL only")
    infra_sub = infra.add_subparsers(dest="infra_command", required=True)
    up = infra_sub.add_parser("up", help="start Kafka and PostgreSQL (foreground unless --detach)")
    up.add_argument("--detach", action="store_true", help="leave them running in the background and return")
    up.set_defaults(func=cmd_infra_up)
    down = infra_sub.add_parser("down", help="stop the embedded Kafka and PostgreSQL")
    down.set_defaults(func=cmd_infra_down)

    p = sub.add_parser("status", help="what runs, ports, log files")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("run", help="the whole system in the foreground (Ctrl-C stops it)")
    p.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("stop", help="stop leftover services (pid files), then Kafka and PostgreSQL")
    p.set_defaults(func=cmd_stop)
    p = sub.add_parser("clean", help="stop, then remove .stack/ and the PostgreSQL data kept outside the checkout, if any")
    p.set_defaults(func=cmd_clean)
    p = sub.add_parser("traces", help="the last traces of `make run` as trees: service, span, duration")
    p.add_argument("--last", type=int, default=5, help="how many of the last traces (default 5)")
    p.add_argument("--trace", default=None, help="one trace, by its id (a log line's trace_id)")
    p.add_argument("--dir", type=Path, default=None, help="where the JSON lines are (default .stack/traces)")
    p.set_defaults(func=cmd_traces)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        root = args.root.resolve() if args.root else _default_root()
    except RuntimeError as exc:
        print(f"[devstack] error: {exc}", file=sys.stderr)
        return 2
    try:
        return args.func(Layout(root), args)
    except RuntimeError as exc:  # a wrong deploy/services.toml or EXTRANET_*_PORT, PostgresError, ...
        print(f"[devstack] error: {exc}", file=sys.stderr)
        return 1


def _default_root() -> Path:
    try:
        return find_root(Path.cwd())
    except RuntimeError:
        return find_root()


if __name__ == "__main__":
    raise SystemExit(main())
