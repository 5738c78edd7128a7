"""The SMTP wire protocol as sans-IO state machines: bytes in, events out (see docs/ARCHITECTURE.md)."""
