#!/bin/sh
# docker-compose.yml's `kafka-acls` one-shot: the topics and ACLs of deploy/services.toml on the compose broker, as
# its super user `admin` (the users themselves are added when the broker formats its storage, see
# kafka-start.sh). deploy/embedded/tests/test_declaration.py checks these lines against services.toml.
set -eu
umask 077
cat > /tmp/admin.properties <<EOF
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
EOF
topic() { t="$1"; shift; /opt/kafka/bin/kafka-topics.sh --bootstrap-server kafka:29092 --command-config /tmp/admin.properties --create --if-not-exists --partitions 3 --replication-factor 1 --topic "$t" "$@" > /dev/null; }
topic identity.sessions --config retention.ms=3600000
topic legacy.brokers
topic legacy.claims
topic legacy.claims.dlq
topic legacy.households
topic legacy.households.dlq
topic legacy.brokers.dlq
topic legacy.companies
topic legacy.companies.dlq
topic legacy.contracts
topic legacy.contracts.dlq
topic legacy.decisions
topic legacy.decisions.dlq
topic legacy.memberships
topic legacy.memberships.dlq
topic notifications.outcomes
topic notifications.outcomes.dlq
topic notifications.requests
topic notifications.requests.dlq
topic portal.requests
topic portal.requests.dlq
acl() { /opt/kafka/bin/kafka-acls.sh --bootstrap-server kafka:29092 --command-config /tmp/admin.properties --add "$@" > /dev/null; }
acl --allow-principal User:identity --operation Read --topic legacy.brokers
acl --allow-principal User:identity --operation Describe --topic legacy.brokers
acl --allow-principal User:identity --operation Write --topic legacy.brokers.dlq
acl --allow-principal User:identity --operation Describe --topic legacy.brokers.dlq
acl --allow-principal User:identity --operation Read --topic legacy.companies
acl --allow-principal User:identity --operation Describe --topic legacy.companies
acl --allow-principal User:identity --operation Write --topic legacy.companies.dlq
acl --allow-principal User:identity --operation Describe --topic legacy.companies.dlq
acl --allow-principal User:identity --operation Read --topic legacy.contracts
acl --allow-principal User:identity --operation Describe --topic legacy.contracts
acl --allow-principal User:identity --operation Write --topic legacy.contracts.dlq
acl --allow-principal User:identity --operation Describe --topic legacy.contracts.dlq
acl --allow-principal User:identity --operation Read --topic legacy.memberships
acl --allow-principal User:identity --operation Describe --topic legacy.memberships
acl --allow-principal User:identity --operation Write --topic legacy.memberships.dlq
acl --allow-principal User:identity --operation Describe --topic legacy.memberships.dlq
acl --allow-principal User:identity --operation Read --topic notifications.outcomes
acl --allow-principal User:identity --operation Describe --topic notifications.outcomes
acl --allow-principal User:identity --operation Write --topic notifications.outcomes.dlq
acl --allow-principal User:identity --operation Describe --topic notifications.outcomes.dlq
acl --allow-principal User:identity --operation Read --topic identity.sessions
acl --allow-principal User:identity --operation Write --topic identity.sessions
acl --allow-principal User:identity --operation Describe --topic identity.sessions
acl --allow-principal User:identity --operation Write --topic notifications.requests
acl --allow-principal User:identity --operation Describe --topic notifications.requests
acl --allow-principal User:identity --operation Write --topic portal.requests
acl --allow-principal User:identity --operation Describe --topic portal.requests
acl --allow-principal User:identity --operation Read --group identity-legacy-intake
acl --allow-principal User:identity --operation Describe --group identity-legacy-intake
acl --allow-principal User:identity --operation Read --group identity-notification-outcomes
acl --allow-principal User:identity --operation Describe --group identity-notification-outcomes
acl --allow-principal User:identity --operation IdempotentWrite --cluster
acl --allow-principal User:portfolio --operation Read --topic legacy.brokers
acl --allow-principal User:portfolio --operation Describe --topic legacy.brokers
acl --allow-principal User:portfolio --operation Write --topic legacy.brokers.dlq
acl --allow-principal User:portfolio --operation Describe --topic legacy.brokers.dlq
acl --allow-principal User:portfolio --operation Read --topic legacy.companies
acl --allow-principal User:portfolio --operation Describe --topic legacy.companies
acl --allow-principal User:portfolio --operation Write --topic legacy.companies.dlq
acl --allow-principal User:portfolio --operation Describe --topic legacy.companies.dlq
acl --allow-principal User:portfolio --operation Read --topic legacy.contracts
acl --allow-principal User:portfolio --operation Describe --topic legacy.contracts
acl --allow-principal User:portfolio --operation Write --topic legacy.contracts.dlq
acl --allow-principal User:portfolio --operation Describe --topic legacy.contracts.dlq
acl --allow-principal User:portfolio --operation Read --topic legacy.memberships
acl --allow-principal User:portfolio --operation Describe --topic legacy.memberships
acl --allow-principal User:portfolio --operation Write --topic legacy.memberships.dlq
acl --allow-principal User:portfolio --operation Describe --topic legacy.memberships.dlq
acl --allow-principal User:portfolio --operation Read --topic identity.sessions
acl --allow-principal User:portfolio --operation Describe --topic identity.sessions
acl --allow-principal User:portfolio --operation Read --group portfolio-read-model
acl --allow-principal User:portfolio --operation Describe --group portfolio-read-model
acl --allow-principal User:portfolio --operation Write --topic portal.requests
acl --allow-principal User:portfolio --operation Describe --topic portal.requests
acl --allow-principal User:portfolio --operation IdempotentWrite --cluster
acl --allow-principal User:claims --operation Read --topic legacy.claims
acl --allow-principal User:claims --operation Describe --topic legacy.claims
acl --allow-principal User:claims --operation Write --topic legacy.claims.dlq
acl --allow-principal User:claims --operation Describe --topic legacy.claims.dlq
acl --allow-principal User:claims --operation Read --topic legacy.households
acl --allow-principal User:claims --operation Describe --topic legacy.households
acl --allow-principal User:claims --operation Write --topic legacy.households.dlq
acl --allow-principal User:claims --operation Describe --topic legacy.households.dlq
acl --allow-principal User:claims --operation Read --topic identity.sessions
acl --allow-principal User:claims --operation Describe --topic identity.sessions
acl --allow-principal User:claims --operation Read --group claims-read-model
acl --allow-principal User:claims --operation Describe --group claims-read-model
acl --allow-principal User:claims --operation Write --topic notifications.requests
acl --allow-principal User:claims --operation Describe --topic notifications.requests
acl --allow-principal User:claims --operation IdempotentWrite --cluster
acl --allow-principal User:enrollment --operation Read --topic legacy.companies
acl --allow-principal User:enrollment --operation Describe --topic legacy.companies
acl --allow-principal User:enrollment --operation Write --topic legacy.companies.dlq
acl --allow-principal User:enrollment --operation Describe --topic legacy.companies.dlq
acl --allow-principal User:enrollment --operation Read --topic legacy.contracts
acl --allow-principal User:enrollment --operation Describe --topic legacy.contracts
acl --allow-principal User:enrollment --operation Write --topic legacy.contracts.dlq
acl --allow-principal User:enrollment --operation Describe --topic legacy.contracts.dlq
acl --allow-principal User:enrollment --operation Read --topic legacy.decisions
acl --allow-principal User:enrollment --operation Describe --topic legacy.decisions
acl --allow-principal User:enrollment --operation Write --topic legacy.decisions.dlq
acl --allow-principal User:enrollment --operation Describe --topic legacy.decisions.dlq
acl --allow-principal User:enrollment --operation Read --topic legacy.households
acl --allow-principal User:enrollment --operation Describe --topic legacy.households
acl --allow-principal User:enrollment --operation Write --topic legacy.households.dlq
acl --allow-principal User:enrollment --operation Describe --topic legacy.households.dlq
acl --allow-principal User:enrollment --operation Read --topic legacy.memberships
acl --allow-principal User:enrollment --operation Describe --topic legacy.memberships
acl --allow-principal User:enrollment --operation Write --topic legacy.memberships.dlq
acl --allow-principal User:enrollment --operation Describe --topic legacy.memberships.dlq
acl --allow-principal User:enrollment --operation Read --topic notifications.outcomes
acl --allow-principal User:enrollment --operation Describe --topic notifications.outcomes
acl --allow-principal User:enrollment --operation Write --topic notifications.outcomes.dlq
acl --allow-principal User:enrollment --operation Describe --topic notifications.outcomes.dlq
acl --allow-principal User:enrollment --operation Read --topic portal.requests
acl --allow-principal User:enrollment --operation Describe --topic portal.requests
acl --allow-principal User:enrollment --operation Write --topic portal.requests.dlq
acl --allow-principal User:enrollment --operation Describe --topic portal.requests.dlq
acl --allow-principal User:enrollment --operation Read --topic identity.sessions
acl --allow-principal User:enrollment --operation Describe --topic identity.sessions
acl --allow-principal User:enrollment --operation Read --group enrollment-memberships
acl --allow-principal User:enrollment --operation Describe --group enrollment-memberships
acl --allow-principal User:enrollment --operation Read --group enrollment-requests
acl --allow-principal User:enrollment --operation Describe --group enrollment-requests
acl --allow-principal User:enrollment --operation Write --topic notifications.requests
acl --allow-principal User:enrollment --operation Describe --topic notifications.requests
acl --allow-principal User:enrollment --operation Write --topic portal.requests
acl --allow-principal User:enrollment --operation IdempotentWrite --cluster
acl --allow-principal User:notifications --operation Write --topic notifications.outcomes
acl --allow-principal User:notifications --operation Describe --topic notifications.outcomes
acl --allow-principal User:notifications --operation Read --topic notifications.requests
acl --allow-principal User:notifications --operation Describe --topic notifications.requests
acl --allow-principal User:notifications --operation Write --topic notifications.requests.dlq
acl --allow-principal User:notifications --operation Describe --topic notifications.requests.dlq
acl --allow-principal User:notifications --operation Read --group notifications-intake
acl --allow-principal User:notifications --operation Describe --group notifications-intake
acl --allow-principal User:notifications --operation IdempotentWrite --cluster
acl --allow-principal User:gateway --operation Read --topic identity.sessions
acl --allow-principal User:gateway --operation Describe --topic identity.sessions
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.brokers
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.brokers
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.companies
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.companies
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.contracts
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.contracts
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.memberships
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.memberships
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.claims
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.claims
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.households
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.households
acl --allow-principal User:legacy-simulator --operation Read --topic legacy.brokers
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.brokers.dlq
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.brokers.dlq
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.decisions
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.decisions
acl --allow-principal User:legacy-simulator --operation Read --topic legacy.memberships
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.memberships.dlq
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.memberships.dlq
acl --allow-principal User:legacy-simulator --operation Read --topic legacy.households
acl --allow-principal User:legacy-simulator --operation Write --topic legacy.households.dlq
acl --allow-principal User:legacy-simulator --operation Describe --topic legacy.households.dlq
acl --allow-principal User:legacy-simulator --operation Read --topic portal.requests
acl --allow-principal User:legacy-simulator --operation Describe --topic portal.requests
acl --allow-principal User:legacy-simulator --operation Write --topic portal.requests.dlq
acl --allow-principal User:legacy-simulator --operation Describe --topic portal.requests.dlq
acl --allow-principal User:legacy-simulator --operation Read --group legacy-simulator-decisions
acl --allow-principal User:legacy-simulator --operation Describe --group legacy-simulator-decisions
acl --allow-principal User:legacy-simulator --operation IdempotentWrite --cluster
echo "kafka-acls: done"
