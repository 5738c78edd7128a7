"""`serve --web`: the live page in a real headless Chromium (Debian's chromium + chromium-driver, via selenium),
and its event stream read directly. Real clients make the sessions; a password never reaches the page or the
stream; the page keeps working across a server restart. Under CI=true a missing browser fails."""

import base64
import os
import smtplib
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from classroom_support import PASSWORD, ClassServer
from peers import WAIT, need

pytestmark = pytest.mark.interop
TIM_PLAIN = "AHRpbQB0YW5zdGFhZnRhbnN0YWFm"
SECRETS = (PASSWORD, TIM_PLAIN, "dGFuc3RhYWZ0YW5zdGFhZg==")   # the password, as PLAIN, as a LOGIN answer


def selenium_or_fail():
    try:
        from selenium import webdriver  # noqa: F401
    except ImportError:
        reason = "selenium is not installed (pip install -e '.[test]')"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def browser():
    selenium_or_fail()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = need("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(need("chromedriver")))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def server():
    with ClassServer() as running:
        yield running


class Stream:
    """Reads /events in a thread and keeps every byte (to check what a browser would get)."""

    def __init__(self, port: int) -> None:
        self.data = bytearray()
        self._response = urllib.request.urlopen(f"http://127.0.0.1:{port}/events", timeout=WAIT)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            while chunk := self._response.read1(65536):
                self.data += chunk
        except (OSError, ValueError):
            pass

    def text(self) -> str:
        return bytes(self.data).decode("utf-8", "replace")

    def close(self) -> None:
        self._response.close()


def until(predicate, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.02)
    pytest.fail(f"{what}: not within {timeout} s")


def smtplib_plain(port: int) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=WAIT) as client:
        client.ehlo()
        client.docmd("AUTH", "PLAIN " + TIM_PLAIN)


def swaks_login(port: int) -> None:
    subprocess.run([need("swaks"), "-s", f"127.0.0.1:{port}", "-a", "LOGIN", "-au", "tim", "-ap", PASSWORD,
                    "-t", "a@example.net", "-f", "tim@example.org"], capture_output=True, timeout=WAIT * 3, check=False)


def rows_text(driver) -> list[str]:
    """The rows' text read in one go (the page redraws its rows on every update)."""
    return driver.execute_script("return [...document.querySelectorAll('#rows tr')].map(r => r.innerText)")


def text_of(driver, element_id: str) -> str:
    return driver.execute_script("return document.getElementById(arguments[0]).innerText", element_id)


def status(driver) -> str:
    return text_of(driver, "status")


# ---- the event stream and the routes, without a browser -------------------------------------------------


def test_stream_starts_with_a_snapshot_and_carries_rows_but_no_password(server):
    stream = Stream(server.web_port)
    try:
        until(lambda: "event: snapshot" in stream.text(), "the snapshot")
        smtplib_plain(server.port)
        swaks_login(server.port)
        until(lambda: stream.text().count('"result": "235 logged in"') >= 2 and '"open": false' in stream.text(),
              "both sessions in the stream")
        text = stream.text()
        assert text.startswith("retry: 1000\n")
        assert '"user": "tim"' in text and '"client": "Python smtplib"' in text and '"client": "swaks"' in text
        for secret in SECRETS:
            assert secret not in text
    finally:
        stream.close()


def test_batches_are_made_only_while_a_page_is_connected_and_carry_only_changed_rows(server):
    pushed = lambda: server.web.pushed                   # noqa: E731 - read on the server's own loop below
    smtplib_plain(server.port)
    until(lambda: server.summaries() and not server.summaries()[0].open, "the session")
    time.sleep(0.6)                                      # two batch intervals: nobody to send to, nothing made
    assert server.call(_on_loop(pushed)) == 0
    stream = Stream(server.web_port)
    try:
        until(lambda: "event: snapshot" in stream.text(), "the snapshot")
        assert '"id": "1"' in stream.text()              # the first session, in the snapshot
        smtplib_plain(server.port)
        until(lambda: "event: rows" in stream.text() and '"open": false' in stream.text().split("event: rows")[-1],
              "the second session, ended, in a batch")
        batches = stream.text().split("event: rows")[1:]
        assert all('"id": "1"' not in batch for batch in batches)   # unchanged since the snapshot: not sent again
        assert any('"id": "2"' in batch for batch in batches)
        assert server.call(_on_loop(pushed)) >= 1
    finally:
        stream.close()


async def _on_loop(read):
    return read()


def test_session_route_gives_the_masked_listing_and_only_get_is_allowed(server):
    smtplib_plain(server.port)
    until(lambda: server.summaries() and not server.summaries()[0].open, "the session")
    with urllib.request.urlopen(f"http://127.0.0.1:{server.web_port}/session/1", timeout=WAIT) as reply:
        body = reply.read().decode()
        assert "default-src 'self'" in reply.headers["Content-Security-Policy"]
    assert "S: " in body and "235 2.7.0" in body and "AUTH PLAIN *** (redacted)" in body
    assert not any(secret in body for secret in SECRETS)
    for path, method, code in (("/session/999", "GET", 404), ("/static/../../setup.py", "GET", 404),
                               ("/events", "POST", 405), ("/", "DELETE", 405)):
        request = urllib.request.Request(f"http://127.0.0.1:{server.web_port}{path}", method=method)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=WAIT)
        assert refused.value.code == code


# ---- in a real browser --------------------------------------------------------------------------------


def test_page_shows_real_sessions_within_a_second_and_no_password(server, browser):
    browser.get(f"http://127.0.0.1:{server.web_port}/")
    until(lambda: status(browser) == "live", "the page going live")
    smtplib_plain(server.port)
    done = time.monotonic()
    row = until(lambda: [t for t in rows_text(browser) if "Python smtplib" in t and "235 logged in" in t],
                "the smtplib session on the page", timeout=1.0)
    assert "tim" in row[0] and "PLAIN" in row[0] and time.monotonic() - done <= 1.0
    swaks_login(server.port)
    until(lambda: [t for t in rows_text(browser) if "swaks" in t and "LOGIN" in t and "235" in t],
          "the swaks session on the page", timeout=1.0)
    totals = text_of(browser, "totals")
    assert "2 sessions" in totals and "1 students seen" in totals and "1 logged in" in totals
    browser.execute_script("document.querySelector('#rows tr:last-child').click()")   # the oldest: smtplib's
    until(lambda: "235 2.7.0" in text_of(browser, "listing"), "the session's exchange")
    page = browser.page_source
    for secret in SECRETS:
        assert secret not in page


def test_hostile_ehlo_is_text_not_markup(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"http://127.0.0.1:{server.web_port}/")
    until(lambda: status(browser) == "live", "the page going live")
    hostile = "<img src=x id=pwned>"
    with smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT, local_hostname="pc1.example.org") as client:
        client.ehlo()
        client.docmd("AUTH", "PLAIN " + base64.b64encode(f"\0{hostile}\0guess".encode()).decode())
    until(lambda: any(hostile in t for t in rows_text(browser)), "the row with the literal user name")
    assert browser.find_elements(By.ID, "pwned") == []


def test_page_keeps_working_when_the_server_restarts(browser):
    with ClassServer() as server:
        browser.get(f"http://127.0.0.1:{server.web_port}/")
        until(lambda: status(browser) == "live", "the page going live")
        smtplib_plain(server.port)
        until(lambda: any("235" in t for t in rows_text(browser)), "the first session")
        server.stop()
        until(lambda: status(browser) != "live", "the page noticing the server is gone")
        server.start()                                   # same ports, a new class
        until(lambda: status(browser) == "live", "the page reconnecting")
        swaks_login(server.port)
        rows = until(lambda: [t for t in rows_text(browser) if "swaks" in t and "235" in t], "a session after restart")
        assert len(rows_text(browser)) == 1 and rows


def test_group_by_student_puts_sessions_under_each_account(server, browser):
    browser.get(f"http://127.0.0.1:{server.web_port}/")
    until(lambda: status(browser) == "live", "the page going live")
    smtplib_plain(server.port)
    with smtplib.SMTP("127.0.0.1", server.port, timeout=WAIT) as client:
        client.ehlo()
        client.docmd("AUTH", "PLAIN " + base64.b64encode(b"\0demo\0demo").decode())
    smtplib_plain(server.port)
    until(lambda: len(rows_text(browser)) == 3, "three sessions")
    browser.execute_script("document.getElementById('group').click()")
    grouped = until(lambda: r if len(r := rows_text(browser)) == 5 else None, "the grouped rows")
    assert grouped[0].strip() == "demo" and "demo" in grouped[1]
    assert grouped[2].strip() == "tim" and "tim" in grouped[3] and "tim" in grouped[4]


def test_page_keeps_only_the_newest_sessions(server, browser):
    from tutor.transport.web import PAGE_ROWS

    browser.get(f"http://127.0.0.1:{server.web_port}/")
    until(lambda: status(browser) == "live", "the page going live")
    for _ in range(PAGE_ROWS + 5):                       # quick sessions: greeting, QUIT
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as client:
            reader = client.makefile("rb")
            reader.readline()
            client.sendall(b"QUIT\r\n")
            reader.readline()
    newest = str(PAGE_ROWS + 5)
    until(lambda: browser.execute_script("return document.querySelector('#rows tr')?.dataset.id") == newest
          and "0 open" in text_of(browser, "totals"), "the newest session on the page")
    ids = browser.execute_script("return [...document.querySelectorAll('#rows tr')].map(r => Number(r.dataset.id))")
    assert len(ids) == PAGE_ROWS and ids == list(range(PAGE_ROWS + 5, 5, -1))    # the oldest five were dropped
    assert f"{PAGE_ROWS + 5} sessions" in text_of(browser, "totals")               # but the totals count them
