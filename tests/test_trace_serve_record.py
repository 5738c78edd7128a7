"""`smtp-tutor serve --record FILE`: every connection a session in one JSON Lines file (0600, credentials
redacted), ended when the connection closes, read back by the tracer."""

import os
import smtplib
import stat

from peers import WAIT, ServerThread

from tutor.trace import findings
from tutor.trace.pipeline import trace_bytes
from tutor.transcript import Recorder


def test_serve_records_each_connection_as_a_redacted_session(tmp_path):
    path = tmp_path / "serve.jsonl"
    recorder = Recorder(path)
    with ServerThread(record=recorder) as server:
        for mechanism, user, password in (("PLAIN", "tim", "tanstaaftanstaaf"), ("LOGIN", "demo", "demo")):
            client = smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT)
            client.ehlo("laptop.example")
            client.user, client.password = user, password
            client.auth(mechanism, getattr(client, "auth_" + mechanism.lower()), initial_response_ok=False)
            client.quit()
    recorder.close()
    text = path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "tanstaaftanstaaf" not in text and "AHRpbQB0" not in text and '"secret": true' in text
    assert text.count('"type": "end"') == 2
    reports = trace_bytes(path.read_bytes(), "serve.jsonl")
    # the user name is kept beside the redaction (issue 12 §4): who logged in, never the password
    assert [(a.mechanism, a.user, a.result, findings.leak(a)) for r in reports for a in r.attempts] == [
        ("PLAIN", "tim", "success", "redacted"), ("LOGIN", "demo", "success", "redacted")]
