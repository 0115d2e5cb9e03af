"""A service that keeps files (EXTRANET_DOCUMENTS_DIR in deploy/services.toml) keeps them on a lasting volume
wherever it runs: a named volume in docker-compose.yml, a ReadWriteMany PersistentVolumeClaim in deploy/k8s
(its replicas share the files), mounted where EXTRANET_DOCUMENTS_DIR points; never the container's /tmp."""

from __future__ import annotations

from pathlib import Path

import yaml

from devstack import declaration
from devstack.config import find_root

ROOT = find_root()
KEEPING_FILES = {p.deploy_name for p in declaration.load(ROOT).services() if "EXTRANET_DOCUMENTS_DIR" in p.env}


def _under(path: str, mount: str) -> bool:
    return Path(path) == Path(mount) or Path(mount) in Path(path).parents


def test_the_services_keeping_files_are_known():
    assert {"portfolio", "enrollment"} <= KEEPING_FILES


def test_compose_keeps_each_document_store_on_a_named_volume():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for name in KEEPING_FILES:
        service = compose["services"][name]
        folder = service["environment"]["EXTRANET_DOCUMENTS_DIR"]
        mounts = [volume.split(":") for volume in service["volumes"]]
        (volume,) = [source for source, target, *_ in mounts if _under(folder, target)]
        assert volume in compose["volumes"], f"{name}: {volume} is not a named volume"
        # a volume of its own
        others = {
            source for other in KEEPING_FILES - {name} for source, *_ in (v.split(":") for v in compose["services"][other]["volumes"])
        }
        assert volume not in others, name


def test_k8s_mounts_a_shared_claim_where_each_document_store_points():
    documents = [doc for path in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]
    claims = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "PersistentVolumeClaim"}
    deployments = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Deployment"}
    for name in KEEPING_FILES:
        spec = deployments[name]["spec"]["template"]["spec"]
        (container,) = spec["containers"]
        folder = next(e["value"] for e in container["env"] if e["name"] == "EXTRANET_DOCUMENTS_DIR")
        (mount,) = [m for m in container["volumeMounts"] if _under(folder, m["mountPath"])]
        assert not mount.get("readOnly"), name
        volume = next(v for v in spec["volumes"] if v["name"] == mount["name"])
        claim = claims[volume["persistentVolumeClaim"]["claimName"]]
        assert claim["spec"]["accessModes"] == ["ReadWriteMany"], f"{name}: its replicas share the files"
        assert spec["securityContext"]["fsGroup"] == spec["securityContext"]["runAsUser"], f"{name}: the volume writable by the service"
