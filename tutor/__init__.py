"""smtp-auth-tutor: learn SMTP AUTH by doing it by hand (REPL, simulator, lessons, tracer)."""

__version__ = "0.1.0"
