"""The rules of notification delivery, in plain Python: channel choice, phone numbers, failures."""
