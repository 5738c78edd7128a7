"""Which format an input is, from its first bytes: pcap / pcapng by magic number, text formats by how many
of the first lines each recognises; FORMATS maps a name to the importer's `read(source)`."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping

from tutor.errors import InputError
from tutor.trace.pcapfile import is_capture
from tutor.trace.records import Record
from tutor.trace.source import Source

Reader = Callable[[Source], Iterator[Record]]

_PACKAGE = "tutor.trace.importers."
# name -> (module, function): an importer is imported only when an input needs it (start-up stays fast).
_READERS = {
    "pcap": ("tutor.trace.pcap", "read"), "tutor": (_PACKAGE + "jsonl", "read"), "swaks": (_PACKAGE + "swaks", "read"),
    "rfc": (_PACKAGE + "rfc", "read"), "smtplib": (_PACKAGE + "smtplib_debug", "read"),
    "curl": (_PACKAGE + "curl", "read"), "openssl": (_PACKAGE + "openssl", "read"),
    "log": (_PACKAGE + "maillog", "read"), "hashcat": (_PACKAGE + "hashcat", "read"),
    "msmtp": (_PACKAGE + "clients", "read_msmtp"),
    "netsmtp": (_PACKAGE + "clients", "read_netsmtp"), "phpmailer": (_PACKAGE + "clients", "read_phpmailer"),
    "nodemailer": (_PACKAGE + "clients", "read_nodemailer"), "thunderbird": (_PACKAGE + "clients", "read_thunderbird"),
    "neomutt": (_PACKAGE + "clients", "read_neomutt"), "mutt": (_PACKAGE + "clients", "read_mutt"),
    "gsasl": (_PACKAGE + "clients_unprefixed", "read_gsasl"),
    "jakarta": (_PACKAGE + "clients_unprefixed", "read_jakarta"),
    "exchange": (_PACKAGE + "exchange", "read"), "exim-debug": (_PACKAGE + "maillog_other", "read_exim_debug"),
}
# Text formats in order of precedence when scores tie (the more specific first): (name, module, scorer).
_SCORERS = (("tutor", "jsonl", "score"), ("hashcat", "hashcat", "score"), ("openssl", "openssl", "score"),
            ("smtplib", "smtplib_debug", "score"), ("exchange", "exchange", "score"),
            ("exim-debug", "maillog_other", "score_exim_debug"), ("netsmtp", "clients", "score_netsmtp"),
            ("phpmailer", "clients", "score_phpmailer"), ("nodemailer", "clients", "score_nodemailer"),
            ("thunderbird", "clients", "score_thunderbird"), ("neomutt", "clients", "score_neomutt"),
            ("mutt", "clients", "score_mutt"),
            ("jakarta", "clients_unprefixed", "score_jakarta"), ("gsasl", "clients_unprefixed", "score_gsasl"),
            ("msmtp", "clients", "score_msmtp"), ("swaks", "swaks", "score"), ("curl", "curl", "score"),
            ("log", "maillog", "score"), ("rfc", "rfc", "score"))


def _function(module: str, name: str) -> Callable:
    return getattr(importlib.import_module(module), name)


class _Readers(Mapping[str, Reader]):
    """FORMATS: every format name known without importing its importer; looking one up imports it."""

    def __getitem__(self, name: str) -> Reader:
        return _function(*_READERS[name])

    def __iter__(self) -> Iterator[str]:
        return iter(_READERS)

    def __len__(self) -> int:
        return len(_READERS)


FORMATS: Mapping[str, Reader] = _Readers()
SAMPLE_LINES = 200


def detect(head: bytes, name: str = "input") -> str:
    """The format name; InputError (one line) when the bytes are in none of the formats the tracer reads."""
    if is_capture(head):
        return "pcap"
    if not head.strip():
        raise InputError(f"{name}: empty input, nothing to trace")
    if _binary(head):
        raise InputError(f"{name}: binary data that is neither pcap nor pcapng; not a format the tracer reads")
    lines = [line.rstrip(b"\r") for line in head.split(b"\n")[:SAMPLE_LINES]]
    best, best_score = "", 0
    for fmt, module, scorer in _SCORERS:
        points = _function(_PACKAGE + module, scorer)(lines)
        if points > best_score:
            best, best_score = fmt, points
    if not best:
        raise InputError(f"{name}: not a format the tracer reads (expected a tutor transcript, swaks, C:/S:, smtplib "
                         "debug, curl -v, openssl s_client, a mail client's debug output (msmtp, gsasl, Net::SMTP, "
                         "PHPMailer, nodemailer, Jakarta Mail, (neo)mutt, Thunderbird), a Postfix/Dovecot/Exim/"
                         "sendmail/saslauthd/Exchange log, $cram_md5$ lines or pcap)")
    return best


def _binary(head: bytes) -> bool:
    """More than 1 in 10 control bytes (NUL included): not text. Latin-1 logs still count as text, and so does
    a transcript with some garbage pasted into it (its bad lines are skipped one run at a time)."""
    sample = head[:4096]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls * 10 > len(sample)
