"""`smtp-tutor trace FILE...`: read captured SMTP sessions (any format tutor.trace reads, `-` for standard
input), annotate every line, and report per session what a passive listener learned."""

from __future__ import annotations

import argparse
import functools
import os
import sys
from typing import TextIO

from tutor import escapes, explain
from tutor.errors import InputError
from tutor.trace import crack, render
from tutor.trace.importers.detect import FORMATS, detect
from tutor.trace.pcapfile import is_capture
from tutor.trace.pipeline import reports
from tutor.trace.records import Bad
from tutor.trace.report import SessionReport
from tutor.trace.source import open_source

PROG = "smtp-tutor trace"


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the `trace` subcommand."""
    t = explain.text
    p = subparsers.add_parser("trace", help=t("trace.cli.help"), description=t("trace.cli.help"))
    p.add_argument("files", nargs="+", metavar="FILE", help=t("trace.cli.files"))
    p.add_argument("--format", choices=("text", "md", "html", "json"), default="text", help=t("trace.cli.format"))
    p.add_argument("--summary", action="store_true", help=t("trace.cli.summary"))
    p.add_argument("--reveal", action="store_true", help=t("trace.cli.reveal"))
    p.add_argument("--password", metavar="P", help=t("trace.cli.password"))
    p.add_argument("--wordlist", metavar="FILE", help=t("trace.cli.wordlist"))
    p.add_argument("--hashcat", action="store_true", help=t("trace.cli.hashcat"))
    p.add_argument("--by", choices=("user", "ip"), help=t("mechs.cli.by"))
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto", help=t("trace.cli.color"))
    p.add_argument("--input-format", choices=sorted(FORMATS), help=t("trace.cli.input-format"))
    p.add_argument("--follow", action="store_true", help=t("trace.cli.follow"))
    p.add_argument("--keylog", metavar="FILE", help=t("trace_tls.cli.keylog"))
    return p


class Writer:
    """Writes reports in the chosen format as they come (nothing is held back)."""

    def __init__(self, args: argparse.Namespace, out: TextIO) -> None:
        self.args, self.out = args, out
        self.opts = render.Options(reveal=args.reveal)
        self.tally = None
        if getattr(args, "by", None):
            from tutor.trace.tally import Tally
            self.tally = Tally(args.by)
        self.color = args.format == "text" and (args.color == "always" or (
            args.color == "auto" and out.isatty() and "NO_COLOR" not in os.environ))
        if args.format == "html" and not args.hashcat:
            from tutor.display.trace_render import html_head
            out.write(html_head("smtp-tutor trace: " + ", ".join(args.files)))
        elif args.format == "md" and not args.hashcat:
            out.write(f"# smtp-tutor trace: {escapes.for_markdown(', '.join(args.files))}\n\n")

    def session(self, report: SessionReport) -> None:
        args, opts = self.args, self.opts
        if self.tally is not None:
            self.tally.add(report)
            if not args.summary:
                return                           # --by alone: only the tally, at the end
        if args.hashcat:
            for line in render.hashcat_lines(report):
                self.out.write(escapes.for_terminal(line) + "\n")
        elif args.format == "json":
            self.out.write(escapes.for_json(render.as_dict(report, opts, rows=not args.summary)) + "\n")
        elif args.format == "md":
            lines = [f"- {render.markdown_line(render.summary(report, opts))}"] if args.summary else \
                render.markdown(report, opts)
            self.out.write("\n".join(lines) + "\n")
        else:
            self._styled([render.summary(report, opts)] if args.summary else render.listing(report, opts))
        self.out.flush()                    # each session as it completes, even into a pipe (streaming input)

    def _styled(self, lines) -> None:
        if self.args.format == "html":
            from tutor.display.trace_render import write_html_session
            write_html_session(lines, self.out)
        elif self.color:
            from tutor.display.trace_render import write_terminal
            write_terminal(lines, self.out)
        else:
            self.out.write("".join(render.plain(line) + "\n" for line in lines))

    def _tally(self) -> None:
        """The --by table: one line per user or address, most failures first."""
        if self.tally is None or self.args.hashcat:
            return
        if self.args.format == "json":
            self.out.write(escapes.for_json(self.tally.as_dict()) + "\n")
            return
        lines = render.tally_lines(self.tally)
        if self.args.format == "md":
            self.out.write("\n".join(f"- {render.markdown_line(line)}" for line in lines) + "\n")
        else:
            self._styled(lines)

    def close(self) -> None:
        self._tally()
        if self.args.format == "html" and not self.args.hashcat:
            from tutor.display.trace_render import HTML_TAIL
            self.out.write(HTML_TAIL)
        self.out.flush()


def _error(message: str) -> None:
    print(f"{PROG}: {escapes.for_terminal(message)}", file=sys.stderr)


def trace_file(path: str, args: argparse.Namespace, writer: Writer) -> bool:
    """Report every session of one input; True when something could be read from it."""
    bad: list[Bad] = []

    def on_bad(record: Bad) -> None:
        bad.append(record)
        _error(record.message)

    count = 0
    src = open_source(path, follow=getattr(args, "follow", False))
    src.on_bad = on_bad                     # garbage lines and over-long lines in a text input
    try:
        fmt = _input_format(args.input_format, src)
        keep = not (args.summary or args.hashcat)
        read = FORMATS[fmt]
        if getattr(args, "keys", None) is not None:         # --keylog: TLS in a capture decrypted (tls_flow)
            if fmt == "pcap":
                from tutor.trace import pcap
                read = functools.partial(pcap.read, keylog=args.keys)
            else:
                _error(explain.text("trace_tls.cli.not-a-capture", name=src.name, format=fmt))
        for report in reports(read(src), on_bad, keep_rows=keep, source=fmt):
            for attempt in report.attempts:
                crack.apply(attempt, args.password, args.wordlist)
            writer.session(report)
            count += 1
    finally:
        src.close()
    if count == 0:
        _error(explain.text("trace.cli.no-sessions", name=src.name))
    return count > 0 or not bad


def _input_format(forced: str | None, src) -> str:
    """The format asked for, unless the file plainly is not in it: a capture forced as text, or text forced as
    pcap, is said so in one line and read as what it is (nothing is dropped)."""
    if forced is None:
        return detect(src.head, src.name)
    capture = is_capture(src.head)
    if forced == "pcap" and not capture:
        actual = detect(src.head, src.name)
        _error(f"{src.name}: not a pcap or pcapng file (no capture magic number); read as {actual} instead")
        return actual
    if forced != "pcap" and capture:
        _error(f"{src.name}: a pcap/pcapng capture, not {forced} text; read as pcap instead")
        return "pcap"
    return forced


def _check_wordlist(path: str | None) -> bool:
    """The word list is read once per exchange: a missing one is a usage error, found before any output."""
    if path is None:
        return True
    try:
        with open(path, "rb"):
            return True
    except OSError as exc:
        _error(f"{path}: cannot read the word list: {exc.strerror or exc}")
        return False


def _load_keylog(args: argparse.Namespace) -> bool:
    """--keylog FILE read before any output (tutor.trace.tls_keys); False, said in one line, if it cannot be."""
    args.keys = None
    if getattr(args, "keylog", None) is None:
        return True
    from tutor.trace import tls_keys
    try:
        tls_keys.require_cryptography()
        args.keys = tls_keys.read(args.keylog)
    except InputError as exc:
        _error(str(exc))
        return False
    if args.keys.skipped:
        _error(explain.text("trace_tls.cli.skipped-lines", file=args.keylog, count=args.keys.skipped))
    return True


def run(args: argparse.Namespace) -> int:
    """Trace every file; exit 2 only when nothing at all could be read (or the word list cannot be)."""
    if not _check_wordlist(args.wordlist) or not _load_keylog(args):
        return 2
    if getattr(args, "follow", False) and (len(args.files) != 1 or args.files[0] == "-"):
        _error(explain.text("trace.cli.follow-one"))         # it never ends: the next file would never be read
        return 2
    writer = Writer(args, sys.stdout)
    readable = False
    for path in args.files:
        try:
            readable |= trace_file(path, args, writer)
        except KeyboardInterrupt:           # Ctrl-C: how --follow (or a live pipe) is stopped
            _error(explain.text("trace.cli.interrupted", name=path))
            writer.close()
            return 0 if readable or getattr(args, "follow", False) else 130
        except InputError as exc:
            _error(str(exc))
        except (ValueError, IndexError, KeyError, OverflowError, MemoryError, RecursionError) as exc:
            # never a traceback
            _error(f"{path}: unreadable input ({type(exc).__name__}: {exc})")
    writer.close()
    if not readable:
        _error(explain.text("trace.cli.nothing-read"))
    return 0 if readable else 2
