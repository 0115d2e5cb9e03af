"""How the enrollment service is reached: its internal HTTP API and its process."""
