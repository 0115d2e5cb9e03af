"""Typed clients of the services' internal APIs, one per service. The user's bearer token is passed
along so that each service checks, again, who asks."""
