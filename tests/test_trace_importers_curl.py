"""curl -v written with `2>file`: the progress meter runs into the -v lines (tests/data/clients/README.md)."""

from pathlib import Path

from tutor.trace import render
from tutor.trace.importers.detect import detect
from tutor.trace.pipeline import trace_bytes

DATA = Path(__file__).parent / "data" / "clients"


def test_the_535_after_meter_updates_is_seen():
    data = (DATA / "curl_progress_meter_slow535.txt").read_bytes()
    assert b"\r  0     0    0     0    0     0      0      0 --:--:--  0:00:02 --:--:--     0< 535" in data
    assert detect(data, "x") == "curl"
    reports = trace_bytes(data, "curl")
    assert [(a.mechanism, a.user, a.result, a.password, a.code) for r in reports for a in r.attempts] == [
        ("LOGIN", "tim", "failure", "wrongpassword", 535)]
    shown = "\n".join(render.plain(line) for r in reports for line in render.listing(r, render.Options()))
    assert "wrongpassword" not in shown and "d3JvbmdwYXNzd29yZA==" not in shown
    assert "\r" not in shown and "--:--:--" not in shown


def test_meter_lines_between_verbose_lines_are_not_read_as_protocol():
    reports = trace_bytes((DATA / "curl_progress_meter_serve.txt").read_bytes(), "curl")
    assert [(a.mechanism, a.user, a.result) for r in reports for a in r.attempts] == [("LOGIN", "tim", "failure")]
    assert reports[0].rows[0].text.startswith("220 ")                 # the meter before `* Trying` is gone
