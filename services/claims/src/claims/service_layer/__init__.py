"""Use cases of the claims service: the handler of each legacy event, and its unit of work."""
