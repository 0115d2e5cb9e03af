"""Use cases of the portfolio service: the handler of each legacy event, and its unit of work."""
