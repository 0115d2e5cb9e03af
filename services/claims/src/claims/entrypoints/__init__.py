"""How the claims service is reached: its internal HTTP API and its process."""
