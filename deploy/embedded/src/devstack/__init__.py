"""Embedded stack of the extranet platform: Kafka (KRaft) and PostgreSQL as local processes,
then the services, on one machine without Docker.

Modules that the shell set-up and `make stop` use before or without the venv's packages
(`config`, `declaration`, `procs`, `bootstrap`, `postgres`, `kafka`, `cli`) import only the standard library
at module level; the rest (readiness checks, secrets, testcontainers) import their packages lazily.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
