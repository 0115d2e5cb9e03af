"""Who may do what on the embedded Kafka, from deploy/services.toml: a SCRAM user per principal
(password in .stack/secrets/), every declared topic created up front as admin, and the ACLs of each
principal (StandardAuthorizer, nothing allowed without an ACL):

- READ + DESCRIBE on the topics it consumes or follows (read without a group), READ + DESCRIBE on its consumer groups;
- WRITE + DESCRIBE on the topics it produces and on the `.dlq` topics of what it consumes;
- IDEMPOTENT_WRITE on the cluster when it writes (the producers are idempotent);
- no CREATE: the topics exist before the services start.

Applied by devstack each time it starts or reuses the broker, idempotently: ACLs that the
declaration no longer gives are deleted. A digest of what was applied (.stack/kafka/access-applied)
skips the work when nothing changed. The admin requests aiokafka lacks (AlterUserScramCredentials,
several ACLs at once) are spelled out here with aiokafka's protocol types. Needs aiokafka (lazy)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from dataclasses import dataclass

from devstack import declaration, keys
from devstack.config import Layout
from devstack.declaration import Declaration, KafkaAccess
from devstack.kafka import ADMIN, MECHANISM, admin_client_kwargs

APPLIED = "access-applied"
PARTITIONS = 3
SCRAM_ITERATIONS = 4096
_SCRAM_SHA_512 = 2  # AlterUserScramCredentials' mechanism code

# Kafka's AclResourceType, PatternType, AclOperation and AclPermissionType codes.
TOPIC, GROUP, CLUSTER = 2, 3, 4
ANY, LITERAL = 1, 3
READ, WRITE, DESCRIBE, IDEMPOTENT_WRITE = 3, 4, 8, 12
ALLOW = 3
CLUSTER_NAME = "kafka-cluster"
OPERATIONS = {READ: "READ", WRITE: "WRITE", DESCRIBE: "DESCRIBE", IDEMPOTENT_WRITE: "IDEMPOTENT_WRITE"}
RESOURCES = {TOPIC: "topic", GROUP: "group", CLUSTER: "cluster"}


class AccessError(RuntimeError):
    pass


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW binding on a literal resource, from any host."""

    principal: str  # "User:identity"
    resource_type: int
    resource_name: str
    operation: int

    def __str__(self) -> str:
        return f"{self.principal} {OPERATIONS[self.operation]} {RESOURCES[self.resource_type]}:{self.resource_name}"


def acls_of(access: KafkaAccess) -> set[Acl]:
    """The ACLs of one principal (see the module's docstring)."""
    user = f"User:{access.principal}"
    acls = {Acl(user, TOPIC, topic, op) for topic in access.reads for op in (READ, DESCRIBE)}
    acls |= {Acl(user, GROUP, group, op) for group in access.groups for op in (READ, DESCRIBE)}
    acls |= {Acl(user, TOPIC, topic, op) for topic in access.writes for op in (WRITE, DESCRIBE)}
    if access.writes:
        acls.add(Acl(user, CLUSTER, CLUSTER_NAME, IDEMPOTENT_WRITE))
    return acls


def wanted(declared: Declaration) -> tuple[set[Acl], list[str]]:
    """Every ACL and every topic of the declaration."""
    principals = declared.kafka_principals()
    return set().union(*(acls_of(a) for a in principals)), sorted({t for a in principals for t in a.topics})


def _digest(layout: Layout, declared: Declaration) -> str:
    acls, topics = wanted(declared)
    users = {
        a.principal: hashlib.sha256(keys.kafka_password(layout, a.principal).encode()).hexdigest() for a in declared.kafka_principals()
    }
    cluster = (layout.kafka / "cluster-id").read_text().strip() if (layout.kafka / "cluster-id").is_file() else ""
    retention = dict(declared.retention_ms)
    text = json.dumps(
        {"acls": sorted(map(str, acls)), "topics": topics, "retention": retention, "users": users, "cluster": cluster}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()


def apply(layout: Layout, bootstrap: str, declared: Declaration | None = None, *, force: bool = False) -> bool:
    """Make the broker at `bootstrap` hold the declaration's users, topics and ACLs; False if it
    already did (nothing sent)."""
    declared = declared or declaration.load(layout.root)
    marker = layout.kafka / APPLIED
    digest = _digest(layout, declared)
    if not force and marker.is_file() and marker.read_text().strip() == digest:
        return False
    try:
        asyncio.run(_apply(layout, bootstrap, declared))
    except AccessError:
        raise
    except Exception as exc:  # aiokafka's errors: authentication refused, broker gone, ...
        raise AccessError(
            f"cannot set up Kafka's users and ACLs as {ADMIN!r} at {bootstrap}: {type(exc).__name__}: {exc}. "
            f"A broker started before Kafka authenticated its clients? `devstack infra down`, then `devstack infra up`"
        ) from None
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(digest + "\n")
    return True


async def _apply(layout: Layout, bootstrap: str, declared: Declaration) -> None:
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic

    admin = AIOKafkaAdminClient(**admin_client_kwargs(layout, bootstrap), client_id="devstack", request_timeout_ms=15_000)
    await admin.start()
    try:
        principals = declared.kafka_principals()
        await _upsert_users(admin, [(a.principal, keys.kafka_password(layout, a.principal)) for a in principals])
        acls, topics = wanted(declared)
        missing = sorted(set(topics) - set(await admin.list_topics()))
        if missing:
            response = await admin.create_topics(
                [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1, topic_configs=declared.topic_config(t)) for t in missing]
            )
            errors = {name: code for name, code, *_ in response.topic_errors if code not in (0, 36)}
            if errors:
                raise AccessError(f"creating the topics {errors} failed (Kafka error codes)")
        current = set()
        for access in principals:
            current |= await _describe_acls(admin, f"User:{access.principal}")
        await _delete_acls(admin, sorted(current - acls))
        await _create_acls(admin, sorted(acls - current))
        # The controller takes the ACLs; the broker enforces them once its metadata has caught up, a moment later
        # (longer the more there are): wait until it describes them all, so that no client starts before its rights.
        for _ in range(100):
            seen = set()
            for access in principals:
                seen |= await _describe_acls(admin, f"User:{access.principal}")
            if seen == acls:
                break
            await asyncio.sleep(0.1)
        for _ in range(50):  # metadata takes a moment to reach the listener
            if set(topics) <= set(await admin.list_topics()):
                break
            await asyncio.sleep(0.1)
    finally:
        await admin.close()


# --- requests ------------------------------------------------------------------------------------


def _requests():
    """The request classes, built on first use (aiokafka is imported lazily)."""
    global _REQUESTS
    if _REQUESTS is not None:
        return _REQUESTS
    from aiokafka.protocol.admin import CreateAclsRequest_v1, DeleteAclsRequest_v1, DescribeAclsRequest_v1
    from aiokafka.protocol.api import Request, RequestStruct, Response
    from aiokafka.protocol.types import CompactArray, CompactBytes, CompactString, Int8, Int16, Int32, Schema, TaggedFields

    class AlterUserScramCredentialsResponse_v0(Response):
        API_KEY = 51
        API_VERSION = 0
        SCHEMA = Schema(
            ("throttle_time_ms", Int32),
            (
                "results",
                CompactArray(
                    ("user", CompactString("utf-8")),
                    ("error_code", Int16),
                    ("error_message", CompactString("utf-8")),
                    ("tags", TaggedFields),
                ),
            ),
            ("tags", TaggedFields),
        )

    class AlterUserScramCredentialsRequest_v0(RequestStruct):
        FLEXIBLE_VERSION = True
        API_KEY = 51
        API_VERSION = 0
        RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
        SCHEMA = Schema(
            ("deletions", CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields))),
            (
                "upsertions",
                CompactArray(
                    ("name", CompactString("utf-8")),
                    ("mechanism", Int8),
                    ("iterations", Int32),
                    ("salt", CompactBytes),
                    ("salted_password", CompactBytes),
                    ("tags", TaggedFields),
                ),
            ),
            ("tags", TaggedFields),
        )

    class AlterUserScramCredentials(Request[AlterUserScramCredentialsRequest_v0]):
        API_KEY = 51

        def __init__(self, upsertions):
            self._upsertions = upsertions

        def build(self, request_struct_class):
            return request_struct_class([], self._upsertions, {})

    class CreateAcls(Request[CreateAclsRequest_v1]):
        API_KEY = 30

        def __init__(self, creations):
            self._creations = creations

        def build(self, request_struct_class):
            return request_struct_class(self._creations)

    class DeleteAcls(Request[DeleteAclsRequest_v1]):
        API_KEY = 31

        def __init__(self, filters):
            self._filters = filters

        def build(self, request_struct_class):
            return request_struct_class(self._filters)

    class DescribeAcls(Request[DescribeAclsRequest_v1]):
        API_KEY = 29

        def __init__(self, principal):
            self._principal = principal

        def build(self, request_struct_class):
            return request_struct_class(ANY, None, ANY, self._principal, None, ANY, ANY)

    _REQUESTS = {"scram": AlterUserScramCredentials, "create": CreateAcls, "delete": DeleteAcls, "describe": DescribeAcls}
    return _REQUESTS


_REQUESTS = None


def salted_password(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> bytes:
    """SCRAM's SaltedPassword (RFC 5802: Hi = PBKDF2 with HMAC-SHA-512 here)."""
    assert MECHANISM == "SCRAM-SHA-512"
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)


async def _upsert_users(admin, users: list[tuple[str, str]]) -> None:
    if not users:
        return
    upsertions = []
    for name, password in users:
        salt = os.urandom(32)
        upsertions.append((name, _SCRAM_SHA_512, SCRAM_ITERATIONS, salt, salted_password(password, salt), {}))
    response = await admin._send_to_controller(_requests()["scram"](upsertions))
    failed = [(user, code, message) for user, code, message, _ in response.results if code != 0]
    if failed:
        raise AccessError(f"setting the SCRAM credentials failed: {failed}")


async def _describe_acls(admin, principal: str) -> set[Acl]:
    response = await admin._send_request(_requests()["describe"](principal))
    if response.error_code != 0:
        raise AccessError(f"describing the ACLs of {principal} failed: error {response.error_code} {response.error_message}")
    found = set()
    for resource_type, name, pattern, entries in response.resources:
        for entry_principal, host, operation, permission in entries:
            found.add((resource_type, name, pattern, entry_principal, host, operation, permission))
    known = {
        Acl(p, rt, n, op)
        for rt, n, pattern, p, host, op, perm in found
        if pattern == LITERAL and host == "*" and perm == ALLOW and rt in RESOURCES and op in OPERATIONS
    }
    others = {entry for entry in found if not (entry[2] == LITERAL and entry[4] == "*" and entry[6] == ALLOW)}
    if others:  # made by hand: not ours to judge, but not ours to keep either
        await _delete_raw(admin, sorted(others))
    return known


async def _create_acls(admin, acls: list[Acl]) -> None:
    if not acls:
        return
    creations = [(a.resource_type, a.resource_name, LITERAL, a.principal, "*", a.operation, ALLOW) for a in acls]
    response = await admin._send_request(_requests()["create"](creations))
    failed = [(str(a), code, message) for a, (code, message) in zip(acls, response.creation_responses, strict=True) if code != 0]
    if failed:
        raise AccessError(f"creating ACLs failed: {failed}")


async def _delete_acls(admin, acls: list[Acl]) -> None:
    await _delete_raw(admin, [(a.resource_type, a.resource_name, LITERAL, a.principal, "*", a.operation, ALLOW) for a in acls])


async def _delete_raw(admin, filters: list[tuple]) -> None:
    if not filters:
        return
    response = await admin._send_request(_requests()["delete"](filters))
    failed = [code for code, *_ in response.filter_responses if code != 0]
    if failed:
        raise AccessError(f"deleting stale ACLs failed: error codes {failed}")
