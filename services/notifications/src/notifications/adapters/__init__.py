"""What the notifications service talks to: templates and tenants' branding, the SMTP relay, the SMS
API, and its own tables."""
