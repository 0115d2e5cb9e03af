"""deploy/grafana's dashboard (issue 14): it parses, docker-compose provisions it with its datasource, and every metric a
panel draws is one the services serve on /metrics."""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from extranet_plumbing.http import install_conventions

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "deploy" / "grafana"
# The modules that declare the metrics served on /metrics (plumbing's for every service, and those of one service).
DECLARING = ["extranet_plumbing.consumer", "extranet_plumbing.outbox", "notifications.service_layer.sender", "gateway.kept"]
_METRIC = re.compile(r"\b(extranet_[a-z0-9_]+)")
# What a panel reads of a histogram or a counter is the family with these suffixes.
_SUFFIXES = ("_bucket", "_count", "_sum", "_total")


def dashboards() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted((GRAFANA / "dashboards").glob("*.json"))]


def served_families() -> set[str]:
    for module in DECLARING:
        importlib.import_module(module)
    text = TestClient(install_conventions(FastAPI())).get("/metrics").text
    return {family.name for family in text_string_to_metric_families(text)}


def family(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def test_every_panel_draws_metrics_the_services_serve():
    served = served_families()
    [board] = dashboards()
    drawn = {}
    for panel in board["panels"]:
        assert panel["datasource"]["uid"] == "prometheus", panel["title"]
        names = {family(name) for target in panel["targets"] for name in _METRIC.findall(target["expr"])}
        drawn[panel["title"]] = names
        assert names <= served, f"{panel['title']}: {names - served} on no service's /metrics"
    every = set().union(*drawn.values())
    # A panel for each family of issue 14: events handled, failed, dead-lettered; lag; outbox; deliveries; HTTP latency.
    for wanted in [
        "extranet_events_handled",
        "extranet_events_failed",
        "extranet_events_dead_lettered",
        "extranet_consumer_lag",
        "extranet_outbox_pending",
        "extranet_outbox_oldest_age_seconds",
        "extranet_notifications",
        "extranet_http_request_duration_seconds",
    ]:
        assert wanted in every, wanted
    assert len({panel["id"] for panel in board["panels"]}) == len(board["panels"])


def test_docker_compose_provisions_the_datasource_and_the_dashboards():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in compose["services"]["grafana"]["volumes"])
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    [provider] = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "dashboards.yaml").read_text())["providers"]
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    datasources = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "datasources.yaml").read_text())["datasources"]
    prometheus = next(d for d in datasources if d["uid"] == "prometheus")
    assert prometheus["url"] == "http://prometheus:9090" and "prometheus" in compose["services"]
    scraped = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in scraped["scrape_configs"] for config in job["static_configs"] for t in config["targets"]}
    for name in ["identity", "portfolio", "claims", "enrollment", "notifications", "gateway", "portals"]:
        port = compose["services"][name]["environment"]["EXTRANET_HTTP_PORT"]
        assert f"{name}:{port}" in targets, f"{name} is not scraped"
