"""Shared runtime of every service: settings, logging, tracing, PostgreSQL, Kafka, outbox, inbox,
dead-letter. Written once here, used by every service."""
