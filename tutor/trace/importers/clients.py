"""Client debug transcripts whose lines say their direction: msmtp `--debug` (`--> ` / `<-- `), Perl Net::SMTP
`Debug => 1` (`Net::SMTP=GLOB(0x..)>>> ` / `<<< `), PHPMailer `SMTPDebug` (`CLIENT -> SERVER: ` / `SERVER ->
CLIENT: `), nodemailer's logger (`[id] C: ` / `[id] S: `), Thunderbird's SMTP log (MOZ_LOG=SMTP:5: `SMTP Send: `
/ `SMTP Response: `; since the JavaScript SmtpClient, mailnews.smtp.loglevel=All: `mailnews.smtp: C: ` / `S: `),
neomutt's debug log (`mutt_socket_write_d() 4> ` / `readln_d() 4< `) and
Mutt's (`mutt -d 5`, ~/.muttdebug0: `[time] 4> ` / `[time] 4< `).
Each `parse_*` turns one line into a tutor.trace.importers.clientlog.Event; the reading is shared."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tutor.trace.importers.clientlog import Event, Reader
from tutor.trace.records import Record
from tutor.trace.source import Source

# ---- msmtp --debug -------------------------------------------------------------------------------------------
_MSMTP = re.compile(rb"^(-->|<--) ?(.*)$", re.DOTALL)
_MSMTP_START = (b"using account ", b"loaded system configuration", b"loaded user configuration")
_MSMTP_TLS = b"TLS session parameters:"


def parse_msmtp(line: bytes) -> Event | None:
    if match := _MSMTP.match(line):
        return Event("C" if match.group(1) == b"-->" else "S", match.group(2))
    if line.startswith(_MSMTP_START):
        return Event("begin", b"session")
    if line.startswith(_MSMTP_TLS):
        return Event("tls", line.rstrip(b":"))
    return None


# ---- Perl Net::SMTP Debug => 1 ---------------------------------------------------------------------------------
_NETSMTP = re.compile(rb"^Net::SMTP[\w:]*=GLOB\((0x[0-9a-fA-F]+)\)(>>>|<<<) (.*)$", re.DOTALL)


def parse_netsmtp(line: bytes) -> Event | None:
    if match := _NETSMTP.match(line):
        key, side, data = match.group(1).decode(), "C" if match.group(2) == b">>>" else "S", match.group(3)
        if data.startswith(b"(decoded) "):          # Net::SMTP prints the decoded challenge and answer too
            return Event("decoded", line[line.index(b"(decoded)"):], key, {"side": side})
        return Event(side, data, key)       # connections apart by object address; a reused one by its greeting
    return None


# ---- PHPMailer SMTPDebug (1-4) ----------------------------------------------------------------------------------
_PHP = re.compile(rb"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t)?"
                  rb"(CLIENT -> SERVER|SERVER -> CLIENT|SMTP -> FROM SERVER): ?(.*)$", re.DOTALL)
_PHP_CONTINUED = re.compile(rb"^ {19}\t {18}(.*)$", re.DOTALL)   # a multi-line reply, indented past the time
_PHP_START = re.compile(rb"^(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t)?Connection: opening to (\S+)")
PHP_HIDDEN = (b"[credentials hidden]",)      # PHPMailer 6 below SMTPDebug 4


def parse_phpmailer(line: bytes) -> Event | None:
    if match := _PHP.match(line):
        return Event("C" if match.group(1) == b"CLIENT -> SERVER" else "S", match.group(2))
    if match := _PHP_CONTINUED.match(line):
        return Event("S", match.group(1))
    if match := _PHP_START.match(line):
        return Event("begin", b"connection to " + match.group(1).rstrip(b","))
    return None


# ---- nodemailer logger (logger: true, debug: true) -------------------------------------------------------------
_NODE = re.compile(rb"^\[[^\]]*\] +(?:DEBUG|INFO|WARN|ERROR|TRACE) +\[([^\]]+)\] (.*)$", re.DOTALL)
_NODE_USER = re.compile(rb'^User "(.*)" (authenticated|failed to authenticate)$', re.DOTALL)
NODE_HIDDEN = b"/* secret */"


def parse_nodemailer(line: bytes) -> Event | None:
    match = _NODE.match(line)
    if match is None:
        return None
    key, rest = match.group(1).decode("utf-8", "replace"), match.group(2)
    if rest[:3] in (b"C: ", b"S: ") or rest in (b"C:", b"S:"):
        return Event(rest[:1].decode(), rest[3:], key)
    if rest.startswith(b"Connection established to "):
        return Event("begin", b"connection to " + rest[26:], key)
    if user := _NODE_USER.match(rest):
        return Event("auth", rest, key, {"user": user.group(1).decode("utf-8", "replace")})
    if rest.startswith(b"Connection upgraded with STARTTLS"):
        return Event("tls", rest, key)
    if rest.startswith((b"Closing connection", b"Connection closed")):
        return Event("end", b"", key)
    return Event("data", rest, key)             # message text (used only inside DATA)


# ---- Thunderbird: MOZ_LOG=SMTP:5 (C++ nsSmtpProtocol, up to 91) and mailnews.smtp.loglevel=All (SmtpClient) ------
_MOZ = re.compile(rb"^(?:.*?[DIVWE]/SMTP )?SMTP (Send|Response): ?(.*)$", re.DOTALL)
MOZ_HIDDEN = (b"Logging suppressed for this command (it probably contained authentication information)",
              b"Logging suppressed (it probably contained auth information)")
_MOZ_CONNECT = re.compile(rb"^(?:.*?[DIVWE]/SMTP )?SMTP Connecting to: (.*)$", re.DOTALL)
_JS = re.compile(rb"^(?:.*?\s)?mailnews\.smtp: (?:\w+: )?(?:([CS]): ?(.*)|Connecting to (smtp\S*))$", re.DOTALL)
_BARE_REPLY = re.compile(rb"^[2-5][0-9][0-9](?:[ -]|$)")
_JS_MECHANISM = re.compile(rb"^(?:.*?\s)?mailnews\.smtp: (?:\w+: )?Authentication via AUTH ([\w-]+)$")


class _Thunderbird:
    """SmtpClient logs each chunk the server sent after one `S: `: the chunk's further lines follow bare."""

    def __init__(self) -> None:
        self.in_server_chunk = False

    def parse(self, line: bytes) -> Event | None:
        event = self._parse(line)
        if event is None and self.in_server_chunk and _BARE_REPLY.match(line):
            return Event("S", line)
        self.in_server_chunk = event is not None and event.kind == "S" and bool(_JS.match(line))
        return event

    @staticmethod
    def _parse(line: bytes) -> Event | None:
        if match := _MOZ.match(line):
            return Event("C" if match.group(1) == b"Send" else "S", match.group(2))
        if line.endswith(MOZ_HIDDEN[0]):
            return Event("C", MOZ_HIDDEN[0])
        if match := _MOZ_CONNECT.match(line):
            return Event("begin", b"connection to " + match.group(1))
        if match := _JS_MECHANISM.match(line):
            return Event("mechanism", match.group(1))
        if match := _JS.match(line):
            if match.group(3):
                return Event("begin", b"connection to " + match.group(3))
            return Event(match.group(1).decode(), match.group(2))
        return None


# ---- neomutt -d N -l FILE ---------------------------------------------------------------------------------------
_MUTT = re.compile(rb"^(?:\[[^\]]*\])?<\w> mutt_socket_(write|readln|buffer_readln)_d\(\) (\d+)([<>]) ?(.*)$",
                   re.DOTALL)
_MUTT_OPEN = re.compile(rb"^(?:\[[^\]]*\])?<\w> mutt_socket_open\(\) Connected to (\S+) on fd=(\d+)")
_MUTT_TLS = re.compile(rb"^(?:\[[^\]]*\])?<\w> (?:tls|ssl)_\w+\(\) .*(?:SSL/TLS connection using|TLS connection using)")


def parse_neomutt(line: bytes) -> Event | None:
    if match := _MUTT.match(line):
        return Event("C" if match.group(3) == b">" else "S", match.group(4), match.group(2).decode())
    if match := _MUTT_OPEN.match(line):
        return Event("begin", b"connection to " + match.group(1), match.group(2).decode())
    return None


# ---- mutt -d N (~/.muttdebug0) ---------------------------------------------------------------------------------
_MUTT_CLASSIC = re.compile(rb"^\[[^\]]*\] (\d+)([<>]) ?(.*)$", re.DOTALL)
_MUTT_CLASSIC_OPEN = re.compile(rb"^\[[^\]]*\] Connected to (\S+) on fd=(\d+)")


def parse_mutt(line: bytes) -> Event | None:
    if match := _MUTT_CLASSIC.match(line):
        return Event("C" if match.group(2) == b">" else "S", match.group(3), match.group(1).decode())
    if match := _MUTT_CLASSIC_OPEN.match(line):
        return Event("begin", b"connection to " + match.group(1), match.group(2).decode())
    return None


# ---- registration --------------------------------------------------------------------------------------------
def _scorer(parse, weight: int = 2):
    def score(lines: list[bytes]) -> int:
        return sum(weight for line in lines if (event := parse(line)) is not None and event.kind != "data")
    return score


score_msmtp = _scorer(parse_msmtp)
score_netsmtp = _scorer(parse_netsmtp, 3)
score_phpmailer = _scorer(parse_phpmailer, 3)
score_thunderbird = _scorer(_Thunderbird._parse, 3)
score_neomutt = _scorer(parse_neomutt, 3)
score_mutt = _scorer(parse_mutt, 3)


def score_nodemailer(lines: list[bytes]) -> int:
    events = [parse_nodemailer(line) for line in lines]
    tagged = sum(3 for event in events if event is not None and event.kind in ("C", "S"))
    return tagged + sum(1 for event in events if event is not None) if tagged else 0


def read_msmtp(src: Source) -> Iterator[Record]:
    return Reader(src, "msmtp", "msmtp", parse_msmtp).records()


def read_netsmtp(src: Source) -> Iterator[Record]:
    return Reader(src, "Net::SMTP", "netsmtp", parse_netsmtp).records()


def read_phpmailer(src: Source) -> Iterator[Record]:
    return Reader(src, "PHPMailer", "phpmailer", parse_phpmailer, hidden=PHP_HIDDEN).records()


def read_nodemailer(src: Source) -> Iterator[Record]:
    return Reader(src, "nodemailer", "nodemailer", parse_nodemailer, hidden_decoded=NODE_HIDDEN).records()


def read_thunderbird(src: Source) -> Iterator[Record]:
    return Reader(src, "Thunderbird", "thunderbird", _Thunderbird().parse, hidden=MOZ_HIDDEN).records()


def read_neomutt(src: Source) -> Iterator[Record]:
    return Reader(src, "neomutt", "neomutt", parse_neomutt).records()


def read_mutt(src: Source) -> Iterator[Record]:
    return Reader(src, "Mutt", "mutt", parse_mutt).records()
