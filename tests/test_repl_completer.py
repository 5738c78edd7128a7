"""Completion from documents: verbs (legal first), advertised mechanisms, :commands and their arguments."""

from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from tutor.protocol.states import State
from tutor.repl.completer import TutorCompleter
from tutor.repl.view import ReplView

READY = ReplView("sim:lab", True, State.READY, "command", advertised=("PLAIN", "LOGIN"))


def complete(text, view=READY, cursor=None):
    completer = TutorCompleter(lambda: view)
    document = Document(text, len(text) if cursor is None else cursor)
    event = CompleteEvent(completion_requested=True)
    return [(c.text, c.start_position) for c in completer.get_completions(document, event)]


def test_verbs_case_insensitively():
    assert complete("eh") == [("EHLO", -2)]
    assert complete("STA") == [("STARTTLS", -3)]


def test_legal_verbs_come_first():
    initial = ReplView("sim:lab", True, State.INITIAL, "command")
    words = [w for w, _ in complete("", initial)]
    assert words[:2] == ["EHLO", "HELO"] and words.index("AUTH") > words.index("QUIT")
    words = [w for w, _ in complete("", READY)]
    assert words.index("AUTH") < words.index("DATA")


def test_auth_offers_what_the_server_advertised():
    assert complete("AUTH ") == [("PLAIN", 0), ("LOGIN", 0)]
    assert complete("auth l") == [("LOGIN", -1)]
    before_ehlo = ReplView("sim:lab", True, State.INITIAL, "command")
    assert [w for w, _ in complete("AUTH ", before_ehlo)] == ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-1",
                                                               "SCRAM-SHA-256", "XOAUTH2", "OAUTHBEARER", "DIGEST-MD5",
                                                               "NTLM", "GSSAPI"]


def test_mail_and_rcpt_paths():
    assert complete("MAIL ") == [("FROM:<", 0)]
    assert complete("RCPT t") == [("TO:<", -1)]


def test_nothing_inside_an_auth_exchange_or_a_message():
    assert complete("", ReplView("sim:lab", True, State.AUTH, "auth-response")) == []
    assert complete("Sub", ReplView("sim:lab", True, State.DATA, "message")) == []
    assert complete("::") == []


def test_tutor_commands():
    assert complete(":b") == [(":b64", -2)]
    names = [w for w, _ in complete(":")]
    assert ":help" in names and ":auth" in names and ":cram" in names


def test_command_arguments():
    assert complete(":b64 ") == [("encode", 0), ("decode", 0)]
    assert complete(":b64 d") == [("decode", -1)]
    assert complete(":server o") == [("on", -1), ("off", -1)]
    assert complete(":auth ") == [("PLAIN", 0), ("LOGIN", 0)]
    assert complete(":help sta") == [("starttls", -3)]
    assert complete(":explain 53") == [("530", -2), ("534", -2), ("535", -2), ("538", -2)]


def test_profiles():
    words = [w for w, _ in complete(":connect sim:")]
    assert "sim:lab" in words and "sim:strict" in words and "sim:legacy-2002" in words
    assert complete(":connect sim:gl") == [("sim:glitchy-cram", -6)]
    assert ("--starttls", -3) in complete(":connect sim --s")


def test_completion_happens_at_the_cursor():
    assert complete("EH x", cursor=2) == [("EHLO", -2)]
