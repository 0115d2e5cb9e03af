"""Fast checks of the pieces that need no process."""

from __future__ import annotations

import os
import stat

import pytest

from devstack import kafka, keys, postgres
from devstack.config import Layout, Ports, find_root
from devstack.run import box


def test_ports_from_env(monkeypatch):
    monkeypatch.setenv("EXTRANET_KAFKA_PORT", "19092")
    monkeypatch.setenv("EXTRANET_PG_PORT", "56432")
    for name in ("EXTRANET_KAFKA_CONTROLLER_PORT", "EXTRANET_GATEWAY_PORT"):
        monkeypatch.delenv(name, raising=False)
    ports = Ports.from_env()
    assert (ports.kafka, ports.kafka_controller, ports.postgres, ports["gateway"]) == (19092, 9093, 56432, 8000)
    monkeypatch.setenv("EXTRANET_PG_PORT", "five")
    with pytest.raises(RuntimeError, match="EXTRANET_PG_PORT"):
        Ports.from_env()


def test_server_properties_follow_the_ports(tmp_path):
    layout = Layout(tmp_path)
    text = kafka.server_properties(layout, Ports(kafka=19092, kafka_controller=19093, postgres=1))
    props = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert props["listeners"] == "SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093"
    assert props["controller.quorum.bootstrap.servers"] == "127.0.0.1:19093"
    assert props["log.dirs"] == str(layout.kafka_data)
    assert props["process.roles"] == "broker,controller"
    # Every listener authenticates (no PLAINTEXT protocol anywhere), nothing is allowed without an ACL.
    assert set(props["listener.security.protocol.map"].replace(",", ":").split(":")[1::2]) == {"SASL_PLAINTEXT"}
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["authorizer.class.name"].endswith("StandardAuthorizer")
    assert props["super.users"] == "User:admin;User:controller"
    assert props["listener.name.sasl_plaintext.sasl.enabled.mechanisms"] == "SCRAM-SHA-512"


def test_cluster_id_is_a_kafka_uuid():
    cluster_id = kafka.new_cluster_id()
    assert len(cluster_id) == 22 and "=" not in cluster_id and cluster_id != kafka.new_cluster_id()


def test_secrets_are_generated_once(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    layout = Layout(tmp_path)
    password = keys.pg_password(layout)
    private, public = keys.jwt_keys(layout)
    assert keys.pg_password(layout) == password and keys.jwt_keys(layout) == (private, public)
    first = private.read_bytes()
    keys.ensure_all(layout)
    assert private.read_bytes() == first
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(layout.secrets).st_mode) == 0o700
    key = serialization.load_pem_private_key(first, password=None)
    pub = serialization.load_pem_public_key(public.read_bytes())
    assert isinstance(key, Ed25519PrivateKey) and isinstance(pub, Ed25519PublicKey)
    pub.verify(key.sign(b"token"), b"token")
    assert postgres.database_url(password, 55432) == f"postgresql://extranet:{password}@127.0.0.1:55432/extranet"


def test_root_and_box():
    root = find_root()
    assert (root / "constraints.txt").is_file() and (root / "deploy" / "embedded" / "kafka" / "pom.xml").is_file()
    drawn = box(["a", "longer line"]).splitlines()
    assert len({len(line) for line in drawn}) == 1 and "longer line" in drawn[2]
