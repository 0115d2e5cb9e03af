"""deploy/services.toml is the one list of the platform's processes: docker-compose.yml, every
deploy/k8s/*.yaml and the Dockerfile must hold the same services, with the same commands, ports and
readiness paths; and the declaration itself must be well formed (every placeholder known)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from devstack import declaration
from devstack.config import Layout, Ports, find_root
from devstack.declaration import DeclarationError, Process
from devstack.run import _banner_lines, services

ROOT = find_root()
DECLARED = declaration.load(ROOT)
SERVICES = {p.deploy_name: p for p in DECLARED.services()}
# A URL naming a service by its deploy name, as one service calls another in compose and k8s.
SERVICE_URL = re.compile(r"^https?://([a-z0-9-]+):(\d+)(/|$)")


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def _k8s_documents() -> list[tuple[Path, dict]]:
    return [(path, doc) for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def _env_values(env) -> dict[str, str]:
    """Compose's `environment` (mapping or list) or a k8s container's `env` (literal values only)."""
    if isinstance(env, dict):
        return {k: str(v) for k, v in env.items()}
    if env and isinstance(env[0], dict):
        return {e["name"]: str(e["value"]) for e in env if "value" in e}
    return dict(item.split("=", 1) for item in env or [])


def _check_urls(where: str, env: dict[str, str]) -> None:
    for key, value in env.items():
        match = SERVICE_URL.match(value)
        if match and match.group(1) in SERVICES:
            assert int(match.group(2)) == SERVICES[match.group(1)].port.default, f"{where}: {key}={value}"


def test_the_declaration_reads_and_every_placeholder_fills(tmp_path):
    assert DECLARED.path == ROOT / "deploy" / "services.toml"
    assert [p.name for p in DECLARED.start_order()][-1] == "gateway-service"  # it calls the others
    assert {p.kind for p in DECLARED.processes} == {"service", "devtool"}
    layout, ports = Layout(tmp_path), Ports.from_env(ROOT)
    for group in services(layout, ports, DECLARED):
        for service in group:
            assert service.ready_url == f"http://127.0.0.1:{service.port}{DECLARED.process(service.name).ready_path}"
            assert all("{" not in value for value in service.env.values()), service.env
    lines = _banner_lines(DECLARED, "service", layout, ports) + _banner_lines(DECLARED, "devtool", layout, ports)
    assert lines and all("{" not in line for line in lines)


def test_a_port_variable_overrides_its_default(monkeypatch):
    process = DECLARED.services()[0]
    monkeypatch.setenv(process.port.env, "18765")
    ports = Ports.from_env(ROOT)
    assert ports[process.port.name] == 18765 and ports.names().kafka == ports.kafka


def test_compose_runs_the_declared_services():
    compose = _compose()
    # A platform service in compose: the platform's image, serving HTTP (jwt-keys and demo are one-shots).
    image = compose[next(iter(SERVICES))]["image"]
    running = {name for name, s in compose.items() if s.get("image") == image and "EXTRANET_HTTP_PORT" in _env_values(s.get("environment"))}
    assert running == set(SERVICES), "docker-compose.yml and deploy/services.toml disagree on the services"
    for name, process in SERVICES.items():
        service, port = compose[name], process.port.default
        env = _env_values(service["environment"])
        assert service["command"] == [process.command], name
        assert env["EXTRANET_HTTP_PORT"] == str(port) and env["OTEL_SERVICE_NAME"] == name, name
        assert f"{port}:{port}" in service["ports"], name
        assert f"127.0.0.1:{port}{process.ready_path}" in " ".join(service["healthcheck"]["test"]), name
    for name, service in compose.items():
        _check_urls(f"docker-compose.yml {name}", _env_values(service.get("environment")))


def test_k8s_runs_the_declared_services():
    documents = _k8s_documents()
    deployments = {doc["metadata"]["name"]: (path, doc) for path, doc in documents if doc["kind"] == "Deployment"}
    assert set(deployments) == set(SERVICES), "deploy/k8s/ and deploy/services.toml disagree on the services"
    k8s_services = {doc["metadata"]["name"]: doc for _, doc in documents if doc["kind"] == "Service"}
    kustomization = next(doc for _, doc in documents if doc["kind"] == "Kustomization")
    for name, process in SERVICES.items():
        path, deployment = deployments[name]
        assert path.name in kustomization["resources"], f"{path.name} is not in kustomization.yaml"
        template = deployment["spec"]["template"]
        (container,) = template["spec"]["containers"]
        port = process.port.default
        env = _env_values(container.get("env"))
        assert container["command"] == [process.command], name
        assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": port}, name
        assert env["EXTRANET_HTTP_PORT"] == str(port) and env["OTEL_SERVICE_NAME"] == name, name
        assert template["metadata"]["annotations"]["prometheus.io/port"] == str(port), name
        assert container["readinessProbe"]["httpGet"] == {"path": process.ready_path, "port": "http"}, name
        assert [p["port"] for p in k8s_services[name]["spec"]["ports"]] == [port], f"Service {name}"
        _check_urls(f"{path.name} {name}", env)


def test_the_image_exposes_the_services_ports():
    exposed = re.search(r"^EXPOSE (.+)$", (ROOT / "Dockerfile").read_text(), re.M).group(1).split()
    assert sorted(map(int, exposed)) == sorted(p.port.default for p in SERVICES.values())


def _parse(text: str):
    import tomllib

    return declaration.parse(tomllib.loads(text), Path("services.toml"))


GOOD = """
[[process]]
name = "a-service"
command = "a-service"
kind = "service"
deploy_name = "a"
group = 1
port = { name = "a", default = 9001, env = "A_PORT" }
ready_path = "/health/ready"
env = { X = "{port}" }
[demo]
events_applied_by = "a-service"
brokers_registered_by = "a-service"
"""


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "service"', 'kind = "daemon"'), "kind 'daemon'"),
        (('deploy_name = "a"\n', ""), "a service has a deploy_name"),
        (("group = 1", "colour = 1\ngroup = 1"), "unknown key"),
        (('name = "a",', 'name = "kafka",'), "port name declared twice: kafka"),
        (("default = 9001", "default = 70000"), "not a port number"),
        (('events_applied_by = "a-service"', 'events_applied_by = "b-service"'), "no such process"),
    ],
)
def test_a_wrong_declaration_is_refused(change, message):
    assert isinstance(_parse(GOOD).processes[0], Process)
    with pytest.raises(DeclarationError, match=re.escape(message)):
        _parse(GOOD.replace(*change))


def test_an_unknown_placeholder_names_the_process(tmp_path):
    declared = _parse(GOOD.replace('X = "{port}"', 'X = "{ports.nowhere}"'))
    with pytest.raises(DeclarationError, match="a-service: env X"):
        services(Layout(tmp_path), Ports(kafka=1, kafka_controller=2, postgres=3, processes={"a": 9001}), declared)


# --- Kafka principals: the same users and ACLs everywhere ----------------------------------------

_OPERATIONS = {"Read": 3, "Write": 4, "Describe": 8, "IdempotentWrite": 12}


def _declared_acls() -> set:
    from devstack.kafka_access import acls_of

    return {(a.principal, a.resource_type, a.resource_name, a.operation) for p in DECLARED.kafka_principals() for a in acls_of(p)}


def test_k8s_kafka_users_hold_the_declared_acls():
    documents = [doc for _, doc in _k8s_documents()]
    users = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "KafkaUser"}
    assert set(users) == {a.principal for a in DECLARED.kafka_principals()}, "deploy/k8s/kafka-users.yaml and deploy/services.toml"
    found = set()
    for name, user in users.items():
        assert user["spec"]["authentication"] == {"type": "scram-sha-512"}, name
        for acl in user["spec"]["authorization"]["acls"]:
            resource = acl["resource"]
            kind = {"topic": 2, "group": 3, "cluster": 4}[resource["type"]]
            assert resource.get("patternType", "literal") == "literal", name
            for operation in acl["operations"]:
                found.add((f"User:{name}", kind, resource.get("name", "kafka-cluster"), _OPERATIONS[operation]))
    assert found == _declared_acls()
    kafka = next(doc for doc in documents if doc["kind"] == "Kafka")
    assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"
    assert all(listener["authentication"]["type"] == "scram-sha-512" for listener in kafka["spec"]["kafka"]["listeners"])
    topics = {doc["spec"]["topicName"] for doc in documents if doc["kind"] == "KafkaTopic"}
    assert {t for a in DECLARED.kafka_principals() for t in a.topics} <= topics, "a declared topic has no KafkaTopic (topics.yaml)"
    retention = {doc["spec"]["topicName"]: doc["spec"]["config"].get("retention.ms") for doc in documents if doc["kind"] == "KafkaTopic"}
    for topic, ms in DECLARED.retention_ms.items():
        assert retention[topic] == ms, f"topics.yaml: {topic}'s retention.ms"


def test_each_service_connects_as_its_own_principal():
    compose = _compose()
    deployments = {doc["metadata"]["name"]: doc for _, doc in _k8s_documents() if doc["kind"] == "Deployment"}
    for name, process in SERVICES.items():
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container.get("env", [])}
        compose_env = _env_values(compose[name]["environment"])
        if process.kafka is None:
            assert "EXTRANET_KAFKA_USERNAME" not in env and "EXTRANET_KAFKA_USERNAME" not in compose_env, name
            continue
        assert env["EXTRANET_KAFKA_USERNAME"]["value"] == name
        assert env["EXTRANET_KAFKA_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": name, "key": "password"}
        assert compose_env["EXTRANET_KAFKA_USERNAME"] == name


def test_compose_kafka_holds_the_declared_users_topics_and_acls():
    setup = (ROOT / "deploy" / "compose" / "kafka-acls.sh").read_text()
    kinds = {"--topic": 2, "--group": 3}
    found = set()
    for match in re.finditer(r"^acl --allow-principal (\S+) --operation (\S+) (--topic|--group|--cluster) ?(\S*)$", setup, re.M):
        principal, operation, kind, name = match.groups()
        found.add((principal, kinds.get(kind, 4), name or "kafka-cluster", _OPERATIONS[operation]))
    assert found == _declared_acls(), "deploy/compose/kafka-acls.sh and deploy/services.toml"
    created = dict(re.findall(r"^topic (\S+)(?: --config retention\.ms=(\d+))?$", setup, re.M))
    assert set(created) == {t for a in DECLARED.kafka_principals() for t in a.topics}
    assert {t: int(ms) for t, ms in created.items() if ms} == dict(DECLARED.retention_ms), "kafka-acls.sh: topics' retention"
    start = (ROOT / "deploy" / "compose" / "kafka-start.sh").read_text()
    assert set(re.findall(r"name=([a-z-]+),password=", start)) == {"admin"} | {a.principal for a in DECLARED.kafka_principals()}
    assert "allow.everyone.if.no.acl.found=false" in start and ":PLAINTEXT" not in start


def test_every_service_gets_the_service_to_service_credentials_from_a_secret():
    """The gateway's credential (sent on every call) and the operators' (for /internal/*)."""
    compose_env = _env_values(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-env"])
    deployments = {doc["metadata"]["name"]: doc for _, doc in _k8s_documents() if doc["kind"] == "Deployment"}
    for name in SERVICES:
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container.get("env", [])}
        for variable, key in (("EXTRANET_GATEWAY_CREDENTIAL", "gateway"), ("EXTRANET_OPERATOR_CREDENTIAL", "operator")):
            assert env[variable]["valueFrom"]["secretKeyRef"] == {"name": "extranet-service-credentials", "key": key}, name
            assert variable in compose_env
