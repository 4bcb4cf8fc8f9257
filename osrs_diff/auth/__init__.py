"""Authentication: strict JWT classes, one-time refresh rotation, the login lockout."""
