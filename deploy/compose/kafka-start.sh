#!/bin/sh
# docker-compose.yml's Kafka (apache/kafka image): one KRaft node that authenticates every client with
# SASL/SCRAM-SHA-512 and authorises with ACLs (kafka-acls.sh), as devstack's embedded broker does. The
# SCRAM users (admin, the super user, and one per principal of deploy/services.toml) are written when the
# storage is formatted; passwords come from the environment (docker-compose.yml, dev defaults there).
set -eu
jaas_scram="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"${KAFKA_ADMIN_PASSWORD}\";"
jaas_plain="org.apache.kafka.common.security.plain.PlainLoginModule required username=\"controller\" password=\"${KAFKA_CONTROLLER_PASSWORD}\" user_controller=\"${KAFKA_CONTROLLER_PASSWORD}\";"
umask 077
cat > /tmp/server.properties <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=kafka:9093
listeners=INTERNAL://:29092,CONTROLLER://:9093,EXTERNAL://:9092
advertised.listeners=INTERNAL://kafka:29092,EXTERNAL://localhost:9092
listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.internal.scram-sha-512.sasl.jaas.config=${jaas_scram}
listener.name.external.scram-sha-512.sasl.jaas.config=${jaas_scram}
listener.name.controller.sasl.enabled.mechanisms=PLAIN
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.plain.sasl.jaas.config=${jaas_plain}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:admin;User:controller
log.dirs=/var/lib/kafka/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --standalone --cluster-id "${CLUSTER_ID}" -c /tmp/server.properties \
  --add-scram "SCRAM-SHA-512=[name=admin,password=${KAFKA_ADMIN_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=identity,password=${KAFKA_IDENTITY_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=portfolio,password=${KAFKA_PORTFOLIO_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=claims,password=${KAFKA_CLAIMS_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=enrollment,password=${KAFKA_ENROLLMENT_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=notifications,password=${KAFKA_NOTIFICATIONS_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=gateway,password=${KAFKA_GATEWAY_PASSWORD}]" \
  --add-scram "SCRAM-SHA-512=[name=legacy-simulator,password=${KAFKA_LEGACY_SIMULATOR_PASSWORD}]"
# For the healthcheck, as the super user.
cat > /tmp/admin.properties <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=${jaas_scram}
PROPS
exec /opt/kafka/bin/kafka-server-start.sh /tmp/server.properties
