"""Root of every package's tests: the shared fixtures (real Kafka, real PostgreSQL)."""

pytest_plugins = ["extranet_plumbing.testing"]
