"""SCRAM (RFC 5802, RFC 7677): RFC replays, key ladder, SASLprep, escaping, errors, both sides, scramp interop."""

import base64

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tutor import explain
from tutor.errors import InputError, LocalProtocolError, RemoteProtocolError
from tutor.sasl import MECHANISMS, get, gs2, scram, scram_keys
from tutor.sasl.base import Challenge, Credentials, Done
from tutor.sasl.saslprep import SASLprepError, saslprep
from tutor.sasl.scram_wire import ERRORS, error_key

# Published exchanges (PROTOCOL.md §2.7): (hash, c_nonce, s_nonce, salt b64, client-first, server-first,
# client-final, server-final, derived SaltedPassword, ClientKey, StoredKey, ServerKey). User "user", "pencil".
RFC5802 = ("SHA-1", "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j", "QSXCR+Q6sek8bf92",
           b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
           b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
           b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
           b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
           "HZbuOlKbWl+eR8AfIposuKbhX30=", "4jTEe/bDZpbdbYUrmaqiuiZVVyg=", "6dlGYMOdZcOPutkcNY8U2g7vK9Y=",
           "D+CSWLOshSulAsxiupA+qs2/fTE=")
RFC7677 = ("SHA-256", "rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0", "W22ZaJ0SNY7soEsUEjb6gQ==",
           b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
           b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
           b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
           b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
           b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
           "xKSVEDI6tPlSysH6mUQZOeeOp01r6B3fcJbodRPcYV0=", "pg/JI9Z+hkSpLRa5btpe9GVrDHJcSEN0viVTVXaZbos=",
           "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=", "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=")
VECTORS = [pytest.param(*RFC5802, id="rfc5802-sha1"), pytest.param(*RFC7677, id="rfc7677-sha256")]
FIELDS = "hash_, c_nonce, s_nonce, salt, cfirst, sfirst, cfinal, sfinal, salted, ckey, stored, skey"

# PROTOCOL.md §2.7: SMTP framing of the RFC 5802 run (message, base64 on the wire)
SMTP_FRAMING = [
    (RFC5802[4], "biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM"),
    (RFC5802[5], "cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng=="),
    (RFC5802[6], "Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoyVDBDSkdiSlF5RjBY"
                 "K0hJNFRzPQ=="),
    (RFC5802[7], "dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9"),
]
PENCIL = Credentials("user", "pencil")
S = "scram.step."


def by_label(steps):
    return {s.label: s for s in steps}


def client(hash_="SHA-256", creds=PENCIL, **options):
    return scram.ScramClient(creds, hash_, **options)


def server(hash_="SHA-256", accounts=None, **options):
    return scram.ScramServer((accounts or {"user": "pencil"}).get, hash_, **options)


# ---- RFC replays ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(FIELDS, VECTORS)
def test_client_replays_rfc(hash_, c_nonce, s_nonce, salt, cfirst, sfirst, cfinal, sfinal, salted, ckey, stored,
                            skey):
    c = client(hash_, c_nonce=c_nonce)
    assert c.initial_response() == cfirst
    assert c.respond(sfirst) == cfinal
    assert not c.verified
    assert c.respond(sfinal) == b"" and c.verified
    steps = by_label(c.steps())
    assert steps[S + "salted-password"].value == salted and steps[S + "salted-password"].secret
    assert steps[S + "client-key"].value == ckey and steps[S + "client-key"].secret
    assert steps[S + "stored-key"].value == stored and not steps[S + "stored-key"].secret
    assert steps[S + "server-key"].value == skey and not steps[S + "server-key"].secret
    assert steps[S + "client-proof"].value == cfinal.split(b",p=")[1].decode()
    assert steps[S + "server-signature"].value == sfinal[2:].decode()
    assert steps[S + "auth-message"].value == b",".join((cfirst[3:], sfirst, cfinal.split(b",p=")[0]))
    assert steps[S + "server-signature-got"].note == "scram.note.server-verified"


@pytest.mark.parametrize(FIELDS, VECTORS)
def test_server_replays_rfc(hash_, c_nonce, s_nonce, salt, cfirst, sfirst, cfinal, sfinal, salted, ckey, stored,
                            skey):
    srv = server(hash_, s_nonce=s_nonce, salt=base64.b64decode(salt))
    first = srv.start(cfirst)
    assert isinstance(first, Challenge) and first.data == sfirst
    final = srv.receive(cfinal)
    assert isinstance(final, Challenge) and final.data == sfinal      # RFC 4954 §4: v= goes as a 334
    assert by_label(first.steps)[S + "stored-key"].value == stored
    done = srv.receive(b"")
    assert isinstance(done, Done) and done.result.success and done.result.authcid == "user"


@pytest.mark.parametrize(FIELDS, VECTORS)
def test_server_with_stored_keys_never_sees_the_password(hash_, c_nonce, s_nonce, salt, cfirst, sfirst, cfinal,
                                                         sfinal, salted, ckey, stored, skey):
    record = (base64.b64decode(salt), 4096, base64.b64decode(stored), base64.b64decode(skey))
    assert scram.make_keys("pencil", hash_, record[0], 4096) == record
    srv = scram.ScramServer(None, hash_, s_nonce=s_nonce, stored={"user": record}.get)
    first, final = srv.start(cfirst), srv.receive(cfinal)
    assert (first.data, final.data) == (sfirst, sfinal)
    assert srv.receive(b"").result.success
    every = first.steps + final.steps
    assert not any(s.label in (S + "normalized", S + "salted-password") for s in every)
    assert "scram.note.server.stored-record" in [s.note for s in every]
    assert "pencil" not in repr(every)


@pytest.mark.parametrize("message, wire", SMTP_FRAMING)
def test_smtp_framing_base64(message, wire):
    assert base64.b64encode(message).decode() == wire


def test_derived_values_from_key_ladder():
    for hash_, *_, salted, ckey, stored, skey in (RFC5802, RFC7677):
        salt = base64.b64decode(RFC5802[3] if hash_ == "SHA-1" else RFC7677[3])
        keys = scram_keys.ladder(hash_, scram_keys.normalize("pencil"), salt, 4096)
        got = [base64.b64encode(k).decode() for k in (keys.salted_password, keys.client_key, keys.stored_key,
                                                      keys.server_key)]
        assert got == [salted, ckey, stored, skey]
        assert "pencil" not in repr(keys) and salted not in repr(keys)


# ---- SASLprep (RFC 4013 §3 examples, and more) ----------------------------------------------------------

@pytest.mark.parametrize("given_, expected", [
    ("I\u00adX", "IX"),            # SOFT HYPHEN mapped to nothing
    ("user", "user"),
    ("USER", "USER"),
    ("\u00aa", "a"),               # FEMININE ORDINAL INDICATOR, NFKC
    ("\u2168", "IX"),              # ROMAN NUMERAL NINE, NFKC
    ("a\u00a0b", "a b"),           # non-ASCII space mapped to SPACE
    ("a\u200bb", "ab"),            # ZERO WIDTH SPACE: commonly mapped to nothing
    ("pencil", "pencil"),
    ("", ""),
    ("\u0627\u0628", "\u0627\u0628"),   # right-to-left only: fine
])
def test_saslprep(given_, expected):
    assert saslprep(given_) == expected


@pytest.mark.parametrize("given_, table", [
    ("\u0007", "C.2.1"),           # RFC 4013 §3: prohibited character
    ("\u0627\u0031", "bidi"),      # RFC 4013 §3: bidirectional check
    ("a\u0627", "bidi"),           # mixed directions
    ("\ue000", "C.3"),             # private use
    ("a\u0000b", "C.2.1"),
    ("\u0221", "A.1"),             # unassigned in Unicode 3.2
])
def test_saslprep_refuses(given_, table):
    with pytest.raises(SASLprepError) as info:
        saslprep(given_)
    assert info.value.table == table and isinstance(info.value, InputError) and "\n" not in str(info.value)


def test_saslprep_query_allows_unassigned():
    assert saslprep("\u0221", allow_unassigned=True) == "\u0221"


def test_client_normalizes_password_and_says_so():
    a, b = client(creds=Credentials("user", "I\u00adX"), c_nonce="n"), client(creds=Credentials("user", "IX"),
                                                                               c_nonce="n")
    for c in (a, b):
        c.initial_response()
    sf = b"r=nSERVER,s=QSXCR+Q6sek8bf92,i=4096"
    assert a.respond(sf) == b.respond(sf)
    assert by_label(a.steps())[S + "normalized"].note == "scram.note.saslprep-changed"
    assert by_label(b.steps())[S + "normalized"].note == "scram.note.saslprep-same"


def test_client_refuses_unpreparable_password():
    c = client(creds=Credentials("user", "bell\u0007"))
    c.initial_response()
    with pytest.raises(InputError, match="SASLprep"):
        c.respond(b"r=" + c.steps()[2].value.encode() + b"x,s=QSXCR+Q6sek8bf92,i=4096")


# ---- user name escaping (RFC 5802 §5.1) -----------------------------------------------------------------

@pytest.mark.parametrize("name, escaped", [
    ("user", "user"), ("a,b", "a=2Cb"), ("a=b", "a=3Db"), ("=,", "=3D=2C"), ("=2C", "=3D2C"), (",,", "=2C=2C"),
])
def test_escaping_both_ways(name, escaped):
    assert gs2.escape(name) == escaped and gs2.unescape(escaped) == name
    c = client(creds=Credentials(name, "pencil"), c_nonce="abc")
    assert c.initial_response() == f"n,,n={escaped},r=abc".encode()
    assert scram.parse_message(f"n,,n={escaped},r=abc".encode())["n"] == name


@pytest.mark.parametrize("bad", ["a=b", "a=2c", "a=", "a=3", "a,b"])
def test_server_refuses_bad_escapes(bad):
    done = server().start(f"n,,n={bad},r=abc".encode())
    assert isinstance(done, Done) and done.result.reason in ("invalid-username-encoding", "malformed")
    if "," not in bad:
        assert done.result.reason == "invalid-username-encoding"
        assert done.steps[-1].value == "e=invalid-username-encoding"


def test_round_trip_with_escaped_user():
    assert run_pair(Credentials("a,b=c", "pw"), {"a,b=c": "pw"}).result.success


# ---- the client's checks --------------------------------------------------------------------------------

def started(hash_="SHA-1"):
    c = client(hash_, c_nonce=RFC5802[1])
    c.initial_response()
    return c


@pytest.mark.parametrize("iterations, note", [(4096, "scram.note.iterations"), (4095, "scram.note.iterations-low"),
                                              (1, "scram.note.iterations-low"), (100000, "scram.note.iterations")])
def test_iteration_count_warns_below_4096(iterations, note):
    c = started()
    c.respond(RFC5802[5].replace(b"i=4096", f"i={iterations}".encode()))
    step = by_label(c.steps())[S + "iterations"]
    assert step.note == note and step.params["iterations"] == iterations    # RFC 7677 §4: SHOULD be >= 4096


@pytest.mark.parametrize("iterations", [0, 1_000_001])
def test_iteration_count_refused(iterations):
    c = started()
    with pytest.raises(RemoteProtocolError, match="iteration"):
        c.respond(RFC5802[5].replace(b"i=4096", f"i={iterations}".encode()))
    assert c.steps()[-1].note == "scram.note.iterations-refused"


@pytest.mark.parametrize("server_first, note", [
    (b"r=SOMEONEELSE3rfc,s=QSXCR+Q6sek8bf92,i=4096", "scram.note.nonce-mismatch"),      # RFC 5802 §5.1
    (b"m=ext,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096", "scram.note.mandatory-extension"),
    (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=@@@,i=4096", "scram.note.malformed"),
    (b"r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096,s=QSXCR+Q6sek8bf92", "scram.note.malformed"),
    (b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=", "scram.note.wrong-message"),
])
def test_client_refuses_bad_server_first(server_first, note):
    c = started()
    with pytest.raises(RemoteProtocolError):
        c.respond(server_first)
    assert c.steps()[-1].note == note
    with pytest.raises(LocalProtocolError, match="cancel"):
        c.respond(b"")


def test_wrong_server_signature_is_an_impostor():
    c = started()
    c.respond(RFC5802[5])
    with pytest.raises(RemoteProtocolError) as info:
        c.respond(b"v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    assert str(info.value) == scram.IMPOSTOR and not c.verified
    last = c.steps()[-1]
    assert last.note == "scram.note.impostor" and last.params["expected"] == "rmF9pqV8S7suAoZWja4dJRkFsKQ="


@pytest.mark.parametrize("error, key", [("invalid-proof", "scram.error.invalid-proof"),
                                        ("unknown-user", "scram.error.unknown-user"),
                                        ("something-new", "scram.error.other-error")])
def test_server_error_is_explained(error, key):
    c = started()
    c.respond(RFC5802[5])
    with pytest.raises(RemoteProtocolError, match=f"e={error}") as info:
        c.respond(f"e={error}".encode())
    assert explain.text(key) in str(info.value)
    assert c.steps()[-1].note == key


def test_client_stages_are_explicit():
    c = client()
    with pytest.raises(LocalProtocolError, match="expected initial_response"):
        c.respond(b"r=x,s=QQ==,i=1")
    c.initial_response()
    with pytest.raises(LocalProtocolError, match="out of order"):
        c.initial_response()


def test_client_sends_client_first_after_empty_challenge():
    c = client(c_nonce="abc")
    assert c.respond(b"") == b"n,,n=user,r=abc"


def test_client_authzid_goes_in_gs2_header():
    c = client(creds=Credentials("user", "pencil", "boss,1"), c_nonce="abc")
    assert c.initial_response() == b"n,a=boss=2C1,n=user,r=abc"


@pytest.mark.parametrize("nonce", ["a,b", "", "caf\u00e9", "a b"])
def test_injected_nonces_are_checked(nonce):
    with pytest.raises(InputError, match="nonce"):
        client(c_nonce=nonce)
    with pytest.raises(InputError, match="nonce"):
        server(s_nonce=nonce)


def test_random_nonces_differ():
    a, b = client().initial_response(), client().initial_response()
    assert a != b and a.startswith(b"n,,n=user,r=")


# ---- the server's checks --------------------------------------------------------------------------------

def test_server_bad_proof_fails_with_invalid_proof_noted():
    srv = server("SHA-1", s_nonce=RFC5802[2], salt=base64.b64decode(RFC5802[3]), accounts={"user": "pen"})
    srv.start(RFC5802[4])
    done = srv.receive(RFC5802[6])
    assert isinstance(done, Done) and (done.result.success, done.result.reason) == (False, "bad-password")
    assert done.steps[-1].value == "e=invalid-proof"
    assert by_label(done.steps)["sasl.step.server.compare"].value == "no match"


def test_server_unknown_user_goes_on_then_fails():
    srv = server(accounts={"someone": "x"})
    first = srv.start(b"n,,n=user,r=abc")
    assert isinstance(first, Challenge) and first.data.startswith(b"r=abc")
    assert "scram.note.server.unknown-user" in [s.note for s in first.steps]
    c = client(c_nonce="abc")
    c.initial_response()
    done = srv.receive(c.respond(first.data))
    assert done.result.reason == "no-such-user" and done.steps[-1].value == "e=unknown-user"


@pytest.mark.parametrize("initial, reason", [
    (b"p=tls-exporter,,n=user,r=abc", "channel-binding-not-supported"),        # RFC 5802 §6
    (b"n,,m=x,n=user,r=abc", "malformed"),                                     # RFC 5802 §5.1
    (b"n,,r=abc,n=user", "malformed"),
    (b"c=biws,r=abc,p=AAAA", "malformed"),
    (b"\xff", "malformed"),
])
def test_server_refuses_bad_client_first(initial, reason):
    done = server().start(initial)
    assert isinstance(done, Done) and done.result.reason == reason


def test_server_accepts_y_flag():
    """'y,,': the client could bind but thinks the server cannot; right here, since no -PLUS is offered."""
    srv = server(s_nonce="xyz", salt=b"salt", iterations=16)
    first = srv.start(b"y,,n=user,r=abc")
    assert "scram.note.server.gs2-y" in [s.note for s in first.steps]
    without_proof = "c=eSws,r=abcxyz"                                  # base64 of "y,," is eSws
    message = scram_keys.auth_message("n=user,r=abc", first.data.decode(), without_proof)
    keys = scram_keys.ladder("SHA-256", b"pencil", b"salt", 16)
    proof = scram_keys.client_proof("SHA-256", keys.client_key, keys.stored_key, message)
    final = srv.receive(f"{without_proof},p={base64.b64encode(proof).decode()}".encode())
    assert isinstance(final, Challenge) and srv.receive(b"").result.success


@pytest.mark.parametrize("mutate, reason", [
    (lambda m: m.replace(b"c=biws", b"c=eSws"), "channel-bindings-dont-match"),
    (lambda m: m.replace(b"3rfcNHYJY1ZVvWVs7j", b"3rfcNHYJY1ZVvWVs7X"), "malformed"),   # RFC 5802 §5.1 nonce
    (lambda m: m.split(b",p=")[0], "malformed"),
    (lambda m: m.replace(b"p=v0X8", b"p=AAAA"), "bad-password"),
    (lambda m: m.split(b",p=")[0] + b",p=AAAA", "bad-password"),                      # proof of the wrong length
])
def test_server_checks_client_final(mutate, reason):
    srv = server("SHA-1", s_nonce=RFC5802[2], salt=base64.b64decode(RFC5802[3]))
    srv.start(RFC5802[4])
    done = srv.receive(mutate(RFC5802[6]))
    assert isinstance(done, Done) and (done.result.success, done.result.reason) == (False, reason)


def test_server_wants_an_empty_ack():
    srv = server("SHA-1", s_nonce=RFC5802[2], salt=base64.b64decode(RFC5802[3]))
    srv.start(RFC5802[4])
    srv.receive(RFC5802[6])
    done = srv.receive(b"*x")
    assert (done.result.success, done.result.reason) == (False, "malformed")


def test_server_stages_are_explicit():
    srv = server()
    with pytest.raises(LocalProtocolError, match="start"):
        srv.receive(b"")
    assert srv.start(None).data == b""
    with pytest.raises(LocalProtocolError, match="already started"):
        srv.start(None)
    srv.receive(b"n,,n=user,r=abc")
    srv.receive(b"c=biws,r=nope,p=AAAA")
    with pytest.raises(LocalProtocolError, match="over"):
        srv.receive(b"")


def test_server_needs_one_source_of_secrets():
    with pytest.raises(LocalProtocolError):
        scram.ScramServer(None)
    with pytest.raises(LocalProtocolError):
        scram.ScramServer({}.get, stored={}.get)
    with pytest.raises(InputError):
        scram.ScramServer({}.get, "MD5")


def test_stored_keys_of_the_wrong_hash_are_refused():
    record = scram.make_keys("pencil", "SHA-1")
    srv = scram.ScramServer(None, "SHA-256", stored={"user": record}.get)
    with pytest.raises(LocalProtocolError, match="SHA-256"):
        srv.start(b"n,,n=user,r=abc")


@pytest.mark.parametrize("authzid, allow, success, reason", [
    ("user", None, True, ""), ("boss", None, False, "authzid-denied"), ("boss", lambda u, a: a == "boss", True, ""),
])
def test_server_authzid(authzid, allow, success, reason):
    done = run_pair(Credentials("user", "pencil", authzid), {"user": "pencil"}, allow_authzid=allow)
    assert (done.result.success, done.result.reason) == (success, reason)
    if success:
        assert done.result.authzid == authzid


# ---- parse_message, helpers -----------------------------------------------------------------------------

@pytest.mark.parametrize("message, expected", [
    (RFC5802[4], {"kind": "client-first", "gs2": "n", "n": "user", "r": RFC5802[1], "bare": RFC5802[4][3:].decode()}),
    (b"n,a=x=2Cy,n=u=3D,r=q", {"kind": "client-first", "a": "x,y", "n": "u="}),
    (b"p=tls-unique,,n=u,r=q", {"gs2": "p", "cb-name": "tls-unique"}),
    (RFC5802[5], {"kind": "server-first", "r": RFC5802[1] + RFC5802[2], "s": RFC5802[3], "i": "4096"}),
    (RFC5802[6], {"kind": "client-final", "c": "biws", "p": "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="}),
    (RFC5802[7], {"kind": "server-final", "v": "rmF9pqV8S7suAoZWja4dJRkFsKQ="}),
    (b"e=invalid-proof", {"kind": "server-error", "e": "invalid-proof"}),
])
def test_parse_message(message, expected):
    got = scram.parse_message(message)
    assert {k: got[k] for k in expected} == expected


@pytest.mark.parametrize("message", [b"", b"hello", b"n,,", b"r=a,s=QQ==,i=x", b"c=biws,r=a", b"v=@@", b"n,,n=a",
                                     b"x,,n=a,r=b", b"n,b,n=a,r=b", b"\xff\xfe"])
def test_parse_message_refuses(message):
    with pytest.raises(InputError):
        scram.parse_message(message)


def test_steps_helper_walks_the_rfc_exchange():
    out = by_label(scram.steps("pencil", RFC7677[4], RFC7677[5], "sha256", server_final=RFC7677[7]))
    assert out[S + "client-final"].value == RFC7677[6]
    assert out[S + "server-signature-got"].note == "scram.note.server-verified"
    bad = scram.steps("pencil", RFC7677[4], RFC7677[5], "SHA-256", server_final=b"e=other-error")
    assert bad[-1].note == "scram.error.other-error"


def test_explain_exchange_with_and_without_password():
    messages = RFC5802[4:8]
    sniffed = scram.explain_exchange(messages)
    assert [s.note for s in sniffed[:4]] == ["scram.note.seen." + k for k in
                                             ("client-first", "server-first", "client-final", "server-final")]
    assert sniffed[-1].note == "scram.note.offline-attack" and sniffed[-1].params["iterations"] == 4096
    assert not any(s.secret for s in sniffed)
    known = by_label(scram.explain_exchange(messages, "pencil", "SHA-1"))
    assert known[S + "salted-password"].value == RFC5802[8]


def test_offline_attack_cost():
    step = scram.offline_attack_cost(4096, "sha1")
    assert step.params == {"iterations": 4096, "hash": "SHA-1", "hmacs": 4098, "times_cram": 4098}
    words = explain.text(step.note, **step.params)
    assert "4096" in words and "CRAM-MD5" in words and "{" not in words


@pytest.mark.parametrize("spelled, canonical", [("SHA-1", "SHA-1"), ("sha1", "SHA-1"), ("sha-256", "SHA-256"),
                                                ("SCRAM-SHA-256", "SHA-256")])
def test_hash_names(spelled, canonical):
    assert scram_keys.hash_name(spelled) == canonical
    assert scram.mechanism_name(spelled) == "SCRAM-" + canonical


def test_every_error_value_has_words():
    for value in ERRORS:
        assert isinstance(explain.lookup(error_key(value)), str)


# ---- registry and round trips ---------------------------------------------------------------------------

def run_pair(creds, accounts, name="SCRAM-SHA-256", **server_options):
    info = get(name)
    c, srv = info.client(creds), info.server(accounts.get, **server_options)
    assert c.name == srv.name == info.name
    out = srv.start(c.initial_response())
    while isinstance(out, Challenge):
        out = srv.receive(c.respond(out.data))
    return out


@pytest.mark.parametrize("name", ["SCRAM-SHA-1", "SCRAM-SHA-256"])
def test_registry_entries(name):
    info = MECHANISMS[name]
    assert (info.client_first, info.plaintext, info.bearer) == (True, False, False)
    assert explain.text(info.summary_key) != info.summary_key
    assert run_pair(Credentials("tim", "tanstaaftanstaaf"), {"tim": "tanstaaftanstaaf"}, name).result.success
    assert run_pair(Credentials("tim", "wrong"), {"tim": "tanstaaftanstaaf"}, name).result.reason == "bad-password"
    assert run_pair(Credentials("nobody", "x"), {"tim": "y"}, name).result.reason == "no-such-user"


def preparable(text, query=False):
    try:
        return bool(saslprep(text, allow_unassigned=query))
    except SASLprepError:
        return False


# Mostly-preparable text: no controls, no format or private use characters, no right-to-left scripts.
_RTL = "".join(chr(c) for c in range(0x0590, 0x0900))
names = st.text(st.characters(max_codepoint=0x24FF, blacklist_categories=("Cs", "Cc", "Cf", "Co", "Cn"),
                              blacklist_characters=_RTL), min_size=1, max_size=12)


def tolerant(examples):
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
suffixes = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=3)


@tolerant(60)
@given(user=names, password=names, suffix=suffixes, hash_=st.sampled_from(["SHA-1", "SHA-256"]))
def test_round_trip_property(user, password, suffix, hash_):
    assume(preparable(user, True) and preparable(password))
    wrong = password + suffix
    user = saslprep(user, allow_unassigned=True)
    for given_pw, ok in ((password, True), (wrong, False)):
        done = run_pair(Credentials(user, given_pw), {user: password}, "SCRAM-" + hash_, iterations=16)
        assert done.result.success == ok
        assert ok or done.result.reason == "bad-password"


@tolerant(30)
@given(password=names, suffix=suffixes)
def test_impostor_with_the_wrong_password_is_detected(password, suffix):
    """A server that skips the proof check and signs with keys from the wrong password fails the v= check."""
    assume(preparable(password))
    wrong = password + suffix
    c = client(creds=Credentials("user", password), c_nonce="abc")
    c.initial_response()
    salt, sf = b"salt", b"r=abcxyz,s=c2FsdA==,i=16"
    final = c.respond(sf)
    message = scram_keys.auth_message("n=user,r=abc", sf.decode(), final.split(b",p=")[0].decode())
    keys = scram_keys.ladder("SHA-256", scram_keys.normalize(wrong), salt, 16)
    forged = base64.b64encode(scram_keys.server_signature("SHA-256", keys.server_key, message))
    with pytest.raises(RemoteProtocolError, match="impostor"):
        c.respond(b"v=" + forged)


# ---- interop with the independent scramp package --------------------------------------------------------

scramp = pytest.importorskip("scramp")
INTEROP = [("SHA-1", "pencil"), ("SHA-256", "pencil"), ("SHA-256", "p\u00e4ss\u00a0w\u00adord \u2168")]


@pytest.mark.parametrize("hash_, password", INTEROP)
@pytest.mark.parametrize("wrong", [False, True])
def test_our_client_against_scramp_server(hash_, password, wrong):
    mech = scramp.ScramMechanism("SCRAM-" + hash_)
    salt, stored_key, server_key, i = mech.make_auth_info(password, iteration_count=4096)
    srv = mech.make_server(lambda user: (salt, stored_key, server_key, i))
    c = client(hash_, Credentials("a,b", password + ("x" if wrong else "")))
    srv.set_client_first(c.initial_response().decode())
    client_final = c.respond(srv.get_server_first().encode()).decode()
    if wrong:
        with pytest.raises(scramp.ScramException):
            srv.set_client_final(client_final)
        with pytest.raises(RemoteProtocolError, match="e=invalid-proof"):
            c.respond(srv.get_server_final().encode())
    else:
        srv.set_client_final(client_final)
        assert c.respond(srv.get_server_final().encode()) == b"" and c.verified


@pytest.mark.parametrize("hash_, password", INTEROP)
@pytest.mark.parametrize("stored", [False, True])
def test_scramp_client_against_our_server(hash_, password, stored):
    sc = scramp.ScramClient(["SCRAM-" + hash_], "a,b", password, c_nonce="scrampnonce")
    if stored:
        salt, stored_key, server_key, i = scramp.ScramMechanism("SCRAM-" + hash_).make_auth_info(password)
        srv = scram.ScramServer(None, hash_, stored={"a,b": (salt, i, stored_key, server_key)}.get)
    else:
        srv = scram.ScramServer({"a,b": password}.get, hash_)
    first = srv.start(sc.get_client_first().encode())
    assert first.data.startswith(b"r=scrampnonce")
    sc.set_server_first(first.data.decode())
    final = srv.receive(sc.get_client_final().encode())
    assert isinstance(final, Challenge)
    sc.set_server_final(final.data.decode())      # scramp checks our v= and raises if it is wrong
    assert srv.receive(b"").result.success


def test_scramp_client_with_wrong_password_fails_on_our_server():
    sc = scramp.ScramClient(["SCRAM-SHA-256"], "user", "wrong", c_nonce="n")
    srv = server()
    sc.set_server_first(srv.start(sc.get_client_first().encode()).data.decode())
    done = srv.receive(sc.get_client_final().encode())
    assert isinstance(done, Done) and done.result.reason == "bad-password"


@pytest.mark.parametrize(FIELDS, VECTORS)
def test_server_not_teaching_replays_rfc_without_steps(hash_, c_nonce, s_nonce, salt, cfirst, sfirst, cfinal,
                                                       sfinal, salted, ckey, stored, skey):
    """teaching=False (serve with no log): the same messages and verdict, and no teaching steps made."""
    srv = server(hash_, s_nonce=s_nonce, salt=base64.b64decode(salt))
    srv.teaching = False
    first = srv.start(cfirst)
    assert isinstance(first, Challenge) and first.data == sfirst and first.steps == ()
    assert first.looked_up == "user"   # what the simulator's error policies need, without the steps
    final = srv.receive(cfinal)
    assert isinstance(final, Challenge) and final.data == sfinal and final.steps == ()
    done = srv.receive(b"")
    assert isinstance(done, Done) and done.result.success and done.steps == ()


def test_server_not_teaching_still_refuses_a_wrong_proof():
    cfirst, cfinal = RFC7677[4], RFC7677[6]
    srv = server("SHA-256", accounts={"user": "not pencil"}, s_nonce=RFC7677[2], salt=base64.b64decode(RFC7677[3]))
    srv.teaching = False
    srv.start(cfirst)
    done = srv.receive(cfinal)
    assert isinstance(done, Done) and not done.result.success and done.result.reason == "bad-password"
    assert done.steps == ()
