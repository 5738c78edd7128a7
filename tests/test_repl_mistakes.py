"""The free shell helps with the mistakes students make (issue 11 §4): each mistake, made as a student would,
gets a message that names it and shows the way on."""

import pytest

from tutor.display.annotations import Annotations
from tutor.errors import InputError
from tutor.protocol import b64
from tutor.repl.shell import Shell

AS_IS = "this looks like the value itself, not its base64: try `:b64 encode {}`"


def run(*lines, profile="lab"):
    out = []
    shell = Shell(profile=profile, out=out.extend)
    shell.start()
    for line in lines:
        shell.handle(line)
    return shell, out


def notes_after(out, sent):
    """The tutor notes right after the client line `sent`."""
    index = max(i for i, item in enumerate(out) if item.kind == "C" and item.text == sent)
    notes = []
    for item in out[index + 1:]:
        if item.kind != "note":
            break
        notes.append(item.text)
    return notes


@pytest.mark.parametrize("value", ["tim", "demo", "tanstaaftanstaaf"])
def test_the_value_typed_instead_of_its_base64_is_named(value):
    _, out = run("EHLO laptop", "AUTH LOGIN", value)
    notes = notes_after(out, value)
    assert notes and notes[0].startswith(AS_IS.format(value))
    assert not any("padding" in n for n in notes)


def test_a_password_typed_as_is_on_a_live_server_is_not_repeated_in_the_hint():
    notes = Annotations(reveal=False).response(b"tanstaaftanstaaf", "LOGIN", 2)
    assert len(notes) == 1 and notes[0].secret
    assert "tanstaaftanstaaf" not in notes[0].text() and "`:b64 encode YOUR-VALUE`" in notes[0].text()


@pytest.mark.parametrize("text, message", [
    ("dGltZQ", "missing '=' padding: length 6 is not a multiple of 4, and base64 comes in groups of 4 characters; "
               "with 2 '=' it reads dGltZQ=="),
    ("dGlt=", "too much '=' padding (1 at the end): base64 comes in groups of 4 characters, and this one is "
              "complete as dGlt"),
    ("dGltZQ===", "too much '=' padding (3 at the end)"),
    ("AHRpbQ!B0", "'!' at position 6 is not in the base64 alphabet"),
    ("dG lt", "a space at position 2 is not in the base64 alphabet"),
    ("dGl-", "'-' at position 3 belongs to base64url (RFC 4648 §5)"),
    ("=AAA", "'=' padding may only appear at the end (found at position 0)"),
])
def test_each_base64_mistake_has_its_own_message(text, message):
    with pytest.raises(InputError) as info:
        b64.decode(text)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("text, as_is", [
    ("tim", True), ("demo", True), ("tanstaaftanstaaf", True), ("x", True),
    ("dGlt", False), ("VXNlcm5hbWU6", False), ("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", False), ("dGltZQ", False),
    ("dGlt=", False), ("*", False), ("", False),
])
def test_typed_as_is(text, as_is):
    assert b64.typed_as_is(text) is as_is


def test_missing_padding_in_the_shell_says_how_to_fix_it():
    _, out = run("EHLO laptop", "AUTH LOGIN", "dGltZQ")
    assert any("missing '=' padding" in n and "dGltZQ==" in n for n in notes_after(out, "dGltZQ"))


def test_b64_decode_of_a_plain_word():
    shell, out = run(":b64 decode tim", ":b64 decode demo")
    texts = [i.text for i in out]
    assert "'tim' is not base64: it looks like the value itself; to make its base64, `:b64 encode tim`" in texts
    assert "warning: this looks like plain text, not base64: to make its base64, `:b64 encode demo`" in texts


def test_cram_before_any_challenge_says_where_it_comes_from():
    shell, out = run(":cram tim tanstaaftanstaaf")
    errors = [i.text for i in out if i.kind == "error"]
    assert errors == ["no CRAM-MD5 challenge yet: the server sends one in its 334 reply to `AUTH CRAM-MD5`, so type "
                      "that first and then `:cram tim` (RFC 2195 §2); or give one: `:cram tim PASSWORD CHALLENGE` "
                      "(the base64 after 334, or <...>)"]
    assert "tanstaaftanstaaf" not in " ".join(errors)        # the password was not read as a challenge


def test_cram_does_not_take_another_mechanism_s_challenge():
    _, out = run("EHLO x", "AUTH LOGIN", "*", ":cram tim tanstaaftanstaaf")
    assert next(i.text for i in out if i.kind == "error").startswith("no CRAM-MD5 challenge yet")


def test_cram_after_auth_cram_md5_uses_the_server_s_challenge():
    shell, out = run("EHLO x", "AUTH CRAM-MD5", ":cram tim tanstaaftanstaaf")
    assert not [i for i in out if i.kind == "error"] and [i for i in out if i.kind == "result"]


def test_cram_on_the_command_line_without_a_challenge(capsys):
    from tutor import cli
    assert cli.main(["cram", "tim", "tanstaaftanstaaf"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("smtp-tutor: no challenge given: CRAM-MD5 answers the server's challenge (RFC 2195 §2), "
                          "so pass it after the password: `smtp-tutor cram tim PASSWORD CHALLENGE`")
    assert err.count("\n") == 1


def welcome(profile):
    from tutor.repl.welcome import sim_welcome
    shell, _ = run(profile=profile)
    return sim_welcome(shell.session)


def test_the_greeting_hint_names_the_lab_accounts_and_what_the_profile_offers():
    lab = welcome("lab")
    assert "then try AUTH PLAIN or AUTH LOGIN" in lab
    assert "Lab accounts: tim / tanstaaftanstaaf, demo / demo." in lab


def test_legacy_2002_is_not_offered_plain_in_the_hint():
    legacy = welcome("legacy-2002")
    assert "PLAIN" not in legacy and "then try AUTH LOGIN or AUTH CRAM-MD5" in legacy


@pytest.mark.parametrize("profile", ["strict", "oauth-tls"])
def test_tls_only_profiles_say_starttls_first(profile):
    assert "then STARTTLS and EHLO again (this server takes AUTH only inside TLS), then AUTH PLAIN" in welcome(profile)


def test_the_accounts_come_from_the_simulator_s_table(monkeypatch):
    from tutor.sim import accounts
    monkeypatch.setattr(accounts, "DEFAULT_USERS", {"ann": "secret-ann"})
    assert "Lab accounts: ann / secret-ann." in welcome("lab")
    _, out = run(":help")
    assert "Lab accounts on the simulator: ann / secret-ann" in out[-1].text


def test_help_lists_the_lab_accounts():
    _, out = run(":help")
    assert "Lab accounts on the simulator: tim / tanstaaftanstaaf, demo / demo" in out[-1].text


SECRET = "hush-hush-secret"


def asking(*lines, show_secrets=False):
    out = []
    shell = Shell(out=out.extend)
    shell.show_secrets = show_secrets
    shell.start()
    shell.ask_password = lambda prompt: SECRET
    for line in lines:
        shell.handle(line)
    return shell, out


@pytest.mark.parametrize("line, shown_in_clear", [
    (":plain tim", True), (":xoauth2 tim", True), (":auth PLAIN tim", True),
    (":cram tim PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+", True),
    (":login tim", False),                     # LOGIN's table shows only base64
])
def test_a_password_typed_without_echo_is_not_printed_back(line, shown_in_clear):
    _, out = asking("EHLO x", line)
    assert not [i.text for i in out if SECRET in i.text]
    assert any("••••••• (hidden)" in i.text for i in out) is shown_in_clear


def test_show_prints_the_last_table_in_full():
    _, out = asking(":plain tim")
    assert out[-1].text.startswith("The password you typed at the prompt is hidden in this table; :show prints it")
    _, out = asking(":plain tim", ":show")
    assert "password          hush-hush-secret" in [i.text for i in out]
    assert "AHRpbQBodXNoLWh1c2gtc2VjcmV0" in [i.text for i in out if i.kind == "result"]


def test_show_secrets_shows_it_from_the_start():
    _, out = asking(":plain tim", show_secrets=True)
    assert "password          hush-hush-secret" in [i.text for i in out]


def test_a_password_given_on_the_line_is_shown_as_typed():
    _, out = asking(":plain tim given-pass")
    assert "password          given-pass" in [i.text for i in out]


def test_the_command_line_helper_hides_an_asked_password(monkeypatch, capsys):
    import io
    import sys

    from tutor import cli
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    assert cli.main(["plain", "tim"]) == 0
    out, err = capsys.readouterr()
    assert SECRET not in out and "AHRpbQBodXNoLWh1c2gtc2VjcmV0" in out and "--show-secrets prints it" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO(SECRET + "\n"))
    assert cli.main(["plain", "tim", "--show-secrets"]) == 0
    assert SECRET in capsys.readouterr().out


def test_help_says_what_ctrl_c_and_ctrl_d_do():
    _, out = run(":help")
    assert out[-1].text.endswith("Ctrl-C cancels a line, a step, or an AUTH exchange (it sends '*'); Ctrl-D says QUIT, "
                                 "shows the 221 and leaves.")
