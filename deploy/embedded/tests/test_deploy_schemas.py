"""deploy/k8s and docker-compose.yml checked against their schemas, and what an operator relies on.

- Every Kubernetes resource of deploy/k8s validates, strictly (no unknown field), against the Kubernetes
  JSON schemas of `kubernetes-validate` (PyPI, bundled for each Kubernetes version); Strimzi's `Kafka`,
  `KafkaNodePool`, `KafkaTopic` and `KafkaUser` against schemas/strimzi-*.json (written here for the fields
  deploy/k8s uses: no package ships Strimzi's CRD schemas); docker-compose.yml against the Compose
  specification's schema (schemas/compose-spec.json, see schemas/README.md).
- Every Deployment has probes, resources, a graceful stop longer than its preStop plus the service's bounded
  stop (and its HTTP drain), a PodDisruptionBudget and an autoscaler that never outgrows its consumer group's partitions.
- The NetworkPolicies let in from outside only the gateway and the portals, the services from the gateway
  only, Kafka from its clients only, and PostgreSQL from the services that own data only.
"""

from __future__ import annotations

import copy
import ipaddress
import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from devstack import declaration
from devstack.config import find_root
from extranet_plumbing.serve import HTTP_DRAIN_SECONDS
from extranet_plumbing.service import STOP_STEP_TIMEOUT

ROOT = find_root()
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = Path(__file__).parent / "schemas"
KUBERNETES_VERSION = "1.33"  # the oldest Kubernetes the manifests target (preStop's sleep, HPA v2, PDB v1 are older)
STRIMZI = "kafka.strimzi.io/v1beta2"
DECLARED = declaration.load(ROOT)
SERVICES = {p.deploy_name: p for p in DECLARED.services()}
# Service.stop: background tasks (cancelled together), stop hooks, consumers, producer, database pool; each bounded.
STOP_STEPS = 5


class _UniqueKeys(yaml.SafeLoader):
    """A key written twice in a mapping is an error (PyYAML keeps the last one silently; kubectl refuses it)."""

    def construct_mapping(self, node, deep=False):
        keys = [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge"]
        duplicates = sorted({k for k in keys if keys.count(k) > 1}, key=str)
        if duplicates:
            raise yaml.constructor.ConstructorError(None, None, f"keys written twice: {duplicates}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _load_all(text: str) -> list:
    return list(yaml.load_all(text, Loader=_UniqueKeys))


def _documents() -> list[tuple[str, dict]]:
    return [(path.name, doc) for path in sorted(K8S.glob("*.yaml")) for doc in _load_all(path.read_text()) if doc]


def _strimzi_validator(kind: str) -> jsonschema.Validator:
    schema = json.loads((SCHEMAS / f"strimzi-{kind.lower()}-v1beta2.json").read_text())
    return jsonschema.Draft202012Validator(schema)


def _compose_validator() -> jsonschema.Validator:
    return jsonschema.Draft7Validator(json.loads((SCHEMAS / "compose-spec.json").read_text()))


def schema_errors(doc: dict) -> list[str]:
    """What the schema of `doc`'s kind refuses in it (empty: valid)."""
    if doc.get("apiVersion", "").startswith("kafka.strimzi.io/"):
        if doc["apiVersion"] != STRIMZI:
            return [f"apiVersion {doc['apiVersion']}: the schemas are {STRIMZI}'s"]
        try:
            validator = _strimzi_validator(doc["kind"])
        except FileNotFoundError:
            return [f"no schema for Strimzi's {doc['kind']}"]
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    try:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{'/'.join(map(str, exc.path))}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError:
        return [f"no Kubernetes {KUBERNETES_VERSION} schema for {doc['apiVersion']} {doc['kind']}"]
    return []


def test_every_k8s_resource_validates_against_its_schema():
    errors = []
    kinds = set()
    for name, doc in _documents():
        if doc["kind"] == "Kustomization":
            continue
        kinds.add(doc["kind"])
        errors += [f"{name} {doc['kind']} {doc['metadata']['name']}: {error}" for error in schema_errors(doc)]
    assert not errors, "\n".join(errors)
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Deployment", "Service", "NetworkPolicy"} <= kinds
    assert {"PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds


def test_a_key_written_twice_is_refused():
    with pytest.raises(yaml.constructor.ConstructorError, match="terminationGracePeriodSeconds"):
        _load_all("spec:\n  terminationGracePeriodSeconds: 90\n  terminationGracePeriodSeconds: 30\n")


def test_kustomization_applies_every_file():
    (kustomization,) = [doc for name, doc in _documents() if doc["kind"] == "Kustomization"]
    assert sorted(kustomization["resources"]) == sorted(p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml")


def test_the_strimzi_resources_name_the_cluster():
    documents = [doc for _, doc in _documents()]
    (kafka,) = [doc for doc in documents if doc["kind"] == "Kafka"]
    for doc in documents:
        if doc["kind"] in ("KafkaNodePool", "KafkaTopic", "KafkaUser"):
            assert doc["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"], doc["metadata"]["name"]


def test_compose_validates_against_the_compose_specification():
    (compose,) = _load_all((ROOT / "docker-compose.yml").read_text())
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _compose_validator().iter_errors(compose)]
    assert not errors, "\n".join(errors)


def _first(kind: str, name: str | None = None) -> dict:
    return copy.deepcopy(next(doc for _, doc in _documents() if doc["kind"] == kind and name in (None, doc["metadata"]["name"])))


def _container(doc: dict) -> dict:
    return doc["spec"]["template"]["spec"]["containers"][0]


def _broken(kind: str, change) -> dict:
    doc = _first(kind)
    change(doc)
    return doc


@pytest.mark.parametrize(
    "doc",
    [
        pytest.param(_broken("Deployment", lambda d: d["spec"].update(replicas="two")), id="deployment-replicas-not-a-number"),
        pytest.param(_broken("Deployment", lambda d: _container(d).update(readinesProbe={})), id="deployment-misspelt-field"),
        pytest.param(_broken("Deployment", lambda d: d["spec"]["template"]["spec"].update(terminationGracePeriod=90)), id="grace-misspelt"),
        pytest.param(_broken("HorizontalPodAutoscaler", lambda d: d["spec"].pop("maxReplicas")), id="hpa-without-max"),
        pytest.param(_broken("NetworkPolicy", lambda d: d["spec"].update(policyTypes="Ingress")), id="policy-types-not-a-list"),
        pytest.param(_broken("PodDisruptionBudget", lambda d: d["spec"].update(maxUnavailables=1)), id="pdb-misspelt"),
        pytest.param(_broken("KafkaTopic", lambda d: d["spec"].update(partitions=0)), id="topic-no-partition"),
        pytest.param(_broken("KafkaTopic", lambda d: d["metadata"]["labels"].clear()), id="topic-no-cluster"),
        pytest.param(_broken("KafkaUser", lambda d: d["spec"]["authorization"]["acls"][0].update(operations=["Reed"])), id="user-bad-op"),
        pytest.param(_broken("KafkaUser", lambda d: d["spec"]["authentication"].update(type="scram-sha-256")), id="user-bad-mechanism"),
        pytest.param(_broken("Kafka", lambda d: d["spec"]["kafka"]["listeners"][0].update(type="internl")), id="kafka-bad-listener"),
        pytest.param(_broken("Kafka", lambda d: d["spec"]["kafka"].update(listener=[])), id="kafka-misspelt"),
        pytest.param(_broken("KafkaNodePool", lambda d: d["spec"].update(roles=["leader"])), id="node-pool-bad-role"),
    ],
)
def test_the_validators_refuse_a_broken_resource(doc):
    assert schema_errors(doc)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: c["services"]["gateway"].update(restart_policy="always"), id="unknown-service-key"),
        pytest.param(lambda c: c["services"]["gateway"].update(ports="8000:8000"), id="ports-not-a-list"),
        pytest.param(lambda c: c.update(servics={}), id="unknown-top-level-key"),
    ],
)
def test_the_compose_schema_refuses_a_broken_file(change):
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    change(compose)
    assert list(_compose_validator().iter_errors(compose))


# --- what each Deployment must have --------------------------------------------------------------------


def _deployments() -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in _documents() if doc["kind"] == "Deployment"}


def test_every_deployment_has_probes_resources_and_a_graceful_stop():
    from notifications.settings import NotificationsSettings

    # The sender lets in-flight messages finish for stop_grace, inside its bounded background task.
    assert NotificationsSettings.model_fields["stop_grace"].default <= STOP_STEP_TIMEOUT
    for name, deployment in _deployments().items():
        pod = deployment["spec"]["template"]["spec"]
        container = _container(deployment)
        assert container["readinessProbe"]["httpGet"] == {"path": SERVICES[name].ready_path, "port": "http"}, name
        assert container["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}, name
        assert {"cpu", "memory"} <= set(container["resources"]["requests"]) and "memory" in container["resources"]["limits"], name
        command = container["lifecycle"]["preStop"]["exec"]["command"]
        assert command[0] == "sleep", name
        pre_stop = int(command[1])
        assert pod["terminationGracePeriodSeconds"] >= pre_stop + HTTP_DRAIN_SECONDS + STOP_STEPS * STOP_STEP_TIMEOUT, name


def test_every_deployment_has_a_disruption_budget_and_an_autoscaler_within_its_partitions():
    documents = [doc for _, doc in _documents()]
    partitions = {doc["spec"]["topicName"]: doc["spec"]["partitions"] for doc in documents if doc["kind"] == "KafkaTopic"}
    budgets = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "PodDisruptionBudget"}
    autoscalers = {doc["spec"]["scaleTargetRef"]["name"]: doc for doc in documents if doc["kind"] == "HorizontalPodAutoscaler"}
    for name, deployment in _deployments().items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        replicas = deployment["spec"]["replicas"]
        budget = budgets[name]["spec"]
        assert _selects(budget["selector"], labels), f"{name}'s PodDisruptionBudget selects no pod of it"
        assert budget.get("maxUnavailable", replicas - budget.get("minAvailable", replicas)) < replicas, name
        hpa = autoscalers[name]["spec"]
        assert hpa["scaleTargetRef"]["kind"] == "Deployment" and hpa["minReplicas"] == replicas, name
        consumes = SERVICES[name].kafka.consumes if SERVICES[name].kafka else ()
        if consumes:
            assert hpa["maxReplicas"] <= min(partitions[t] for t in consumes), f"{name}: more replicas than partitions"
        assert hpa["maxReplicas"] > hpa["minReplicas"], name


# --- the NetworkPolicies, evaluated as the cluster's CNI does -------------------------------------------

NAMESPACE = "extranet"
OUTSIDE_IP = "203.0.113.7"  # a browser, the Ingress controller's node...
DATABASE_IP = "198.51.100.20"  # the managed PostgreSQL
KAFKA_POD = {"strimzi.io/cluster": "extranet-kafka", "strimzi.io/kind": "Kafka", "strimzi.io/name": "extranet-kafka-kafka"}


class Pod:
    def __init__(self, labels: dict[str, str], namespace: str = NAMESPACE, ports: dict[str, int] | None = None) -> None:
        self.labels, self.namespace, self.ports = labels, namespace, ports or {}


def _selects(selector: dict, labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if not {
            "In": present and labels[key] in values,
            "NotIn": not present or labels[key] not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[operator]:
            return False
    return True


def _peer_matches(peer: dict, other: Pod | str) -> bool:
    if isinstance(other, str):  # an address outside the cluster
        block = peer.get("ipBlock")
        return (
            bool(block)
            and ipaddress.ip_address(other) in ipaddress.ip_network(block["cidr"])
            and not any(ipaddress.ip_address(other) in ipaddress.ip_network(e) for e in block.get("except", []))
        )
    if "ipBlock" in peer:
        return False
    namespace_labels = {"kubernetes.io/metadata.name": other.namespace}
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], namespace_labels):
            return False
    elif other.namespace != NAMESPACE:
        return False
    return _selects(peer.get("podSelector", {}), other.labels)


def _port_matches(rule: dict, target: Pod | str, port: int) -> bool:
    if not rule.get("ports"):
        return True
    for p in rule["ports"]:
        wanted = p.get("port")
        if (
            wanted is None
            or wanted == port
            or (isinstance(wanted, str) and not isinstance(target, str) and target.ports.get(wanted) == port)
        ):
            return True
    return False


def _policies() -> list[dict]:
    return [doc for _, doc in _documents() if doc["kind"] == "NetworkPolicy"]


def _allowed(direction: str, pod: Pod, other: Pod | str, target: Pod | str, port: int) -> bool:
    """True when the pod's policies of `direction` let the connection through (a pod no policy selects: open)."""
    selecting = [p for p in _policies() if direction in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], pod.labels)]
    if not selecting:
        return True
    key, peers = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return any(
        (not rule.get(peers) or any(_peer_matches(peer, other) for peer in rule[peers])) and _port_matches(rule, target, port)
        for policy in selecting
        for rule in policy["spec"].get(key, [])
    )


def _kafka_allows(source: Pod | str) -> bool:
    """Strimzi's NetworkPolicy for the listener: its networkPolicyPeers (none: everyone)."""
    (kafka,) = [doc for _, doc in _documents() if doc["kind"] == "Kafka"]
    (listener,) = kafka["spec"]["kafka"]["listeners"]
    peers = listener.get("networkPolicyPeers")
    return not peers or any(_peer_matches(peer, source) for peer in peers)


def connects(source: Pod | str, target: Pod | str, port: int) -> bool:
    out = isinstance(source, str) or _allowed("Egress", source, target, target, port)
    if isinstance(target, str):
        return out
    if target.labels == KAFKA_POD:
        return out and _kafka_allows(source)
    return out and _allowed("Ingress", target, source, target, port)


def _pods() -> dict[str, Pod]:
    return {
        name: Pod(d["spec"]["template"]["metadata"]["labels"], ports={p["name"]: p["containerPort"] for p in _container(d)["ports"]})
        for name, d in _deployments().items()
    }


def _owns_data(deployment: dict) -> bool:
    return any(e["name"] == "EXTRANET_DATABASE_URL" for e in _container(deployment).get("env", []))


def test_only_the_gateway_and_the_portals_are_reachable_from_outside():
    pods = _pods()
    assert connects(OUTSIDE_IP, pods["gateway"], SERVICES["gateway"].port.default)
    assert connects(OUTSIDE_IP, pods["portals"], SERVICES["portals"].port.default)
    for name in set(pods) - {"gateway", "portals"}:
        assert not connects(OUTSIDE_IP, pods[name], SERVICES[name].port.default), name
    assert not connects(OUTSIDE_IP, Pod(KAFKA_POD), 9092)


def test_the_services_answer_the_gateway_only():
    pods = _pods()
    called = {"identity", "portfolio", "claims", "enrollment"}
    for name in set(pods) - {"gateway", "portals"}:
        port = SERVICES[name].port.default
        assert connects(pods["gateway"], pods[name], port) == (name in called), f"the gateway and {name}"
        for caller in set(pods) - {"gateway", name}:
            assert not connects(pods[caller], pods[name], port), f"{caller} reaches {name}"
    assert connects(pods["portals"], pods["gateway"], SERVICES["gateway"].port.default)
    assert not connects(pods["portals"], pods["identity"], SERVICES["identity"].port.default)
    prometheus = Pod({"app.kubernetes.io/name": "prometheus"}, namespace="observability")
    for name, pod in pods.items():
        assert connects(prometheus, pod, SERVICES[name].port.default), f"Prometheus cannot scrape {name}"
    stranger = Pod({"app.kubernetes.io/name": "something-else"})
    assert not any(connects(stranger, pod, SERVICES[name].port.default) for name, pod in pods.items() if name not in ("gateway", "portals"))


def test_kafka_and_postgresql_answer_the_services_only():
    pods, deployments = _pods(), _deployments()
    kafka = Pod(KAFKA_POD)
    for name, pod in pods.items():
        assert connects(pod, kafka, 9092) == (SERVICES[name].kafka is not None), name
        assert connects(pod, DATABASE_IP, 5432) == _owns_data(deployments[name]), name
    assert not _owns_data(deployments["gateway"]) and not connects(pods["gateway"], DATABASE_IP, 5432)
    assert not connects(Pod({"app.kubernetes.io/name": "something-else"}), kafka, 9092)
    assert connects(Pod({"extranet.io/kafka-client": "true"}), kafka, 9092)
