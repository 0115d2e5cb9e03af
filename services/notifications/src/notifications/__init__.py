"""The notifications service: notification requests in, email (SMTP) and SMS (Twilio API) out,
each message once, with its outcome as an event."""
