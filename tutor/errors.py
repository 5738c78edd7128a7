"""The project's small exception tree; every error a user can cause is a TutorError with a one-line message."""


class TutorError(Exception):
    """Base of every error the tutor reports to a user as one line (never a traceback)."""


class InputError(TutorError):
    """The user gave us something we cannot use (bad base64, empty text, unknown command...)."""


class ProtocolError(TutorError):
    """A violation of the SMTP or SASL rules."""


class LocalProtocolError(ProtocolError):
    """Our side (the learner, or our own code) tried something the protocol does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol does not allow."""


class TransportError(TutorError):
    """Connecting, reading or writing failed (refused, DNS, TLS, timeout, closed)."""


class LessonError(TutorError):
    """A lesson file is malformed or a lesson cannot run."""
