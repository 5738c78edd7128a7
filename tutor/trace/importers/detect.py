"""Which format an input is, from its first bytes: pcap / pcapng by magic number, text formats by how many
of the first lines each recognises; FORMATS maps a name to the importer's `read(source)`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from tutor.errors import InputError
from tutor.trace import pcap
from tutor.trace.importers import curl, hashcat, jsonl, maillog, openssl, rfc, smtplib_debug, swaks
from tutor.trace.records import Record
from tutor.trace.source import Source

Reader = Callable[[Source], Iterator[Record]]

FORMATS: dict[str, Reader] = {
    "pcap": pcap.read, "tutor": jsonl.read, "swaks": swaks.read, "rfc": rfc.read, "smtplib": smtplib_debug.read,
    "curl": curl.read, "openssl": openssl.read, "log": maillog.read, "hashcat": hashcat.read,
}
# Text formats in order of precedence when scores tie (the more specific first).
_SCORERS = (("tutor", jsonl.score), ("hashcat", hashcat.score), ("openssl", openssl.score),
            ("smtplib", smtplib_debug.score), ("swaks", swaks.score), ("curl", curl.score), ("log", maillog.score),
            ("rfc", rfc.score))
SAMPLE_LINES = 200


def detect(head: bytes, name: str = "input") -> str:
    """The format name; InputError (one line) when the bytes are in none of the formats the tracer reads."""
    if pcap.is_capture(head):
        return "pcap"
    if not head.strip():
        raise InputError(f"{name}: empty input, nothing to trace")
    if _binary(head):
        raise InputError(f"{name}: binary data that is neither pcap nor pcapng; not a format the tracer reads")
    lines = [line.rstrip(b"\r") for line in head.split(b"\n")[:SAMPLE_LINES]]
    best, best_score = "", 0
    for fmt, scorer in _SCORERS:
        points = scorer(lines)
        if points > best_score:
            best, best_score = fmt, points
    if not best:
        raise InputError(f"{name}: not a format the tracer reads (expected a tutor transcript, swaks, C:/S:, smtplib "
                         "debug, curl -v, openssl s_client, a Postfix/Dovecot log, $cram_md5$ lines or pcap)")
    return best


def _binary(head: bytes) -> bool:
    """More than 1 in 10 control bytes (NUL included): not text. Latin-1 logs still count as text, and so does
    a transcript with some garbage pasted into it (its bad lines are skipped one run at a time)."""
    sample = head[:4096]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls * 10 > len(sample)
