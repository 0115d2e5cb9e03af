"""The API gateway: one API per portal, composed from the services' internal APIs."""
