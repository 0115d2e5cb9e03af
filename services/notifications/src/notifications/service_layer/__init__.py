"""What the notifications service does: take requests in, send them, settle every attempt."""
