"""`serve --web HOST:PORT`: the classroom view as a read-only live web page, on the server's own event loop.

aiohttp (the optional `classroom` extra) serves the page (plain HTML/CSS/JS shipped in tutor/data/web) and
a server-sent event stream (`/events`): a snapshot on connect, then the changed rows and the totals, batched
every PUSH_INTERVAL seconds (less often while serve is busy and a batch is dear, tutor.pacing) so a busy class
costs one JSON encoding per batch, not one per line. The page shows
the newest PAGE_ROWS sessions, so only their rows are sent (a busy class starts hundreds between two batches): the
rows that changed since the last batch (the classroom stamps each row with its change count), and nothing is made
while no page is connected. The browser's
EventSource reconnects by itself (the `retry:` field) and gets a fresh snapshot, so the page survives a
server restart. Only GET routes: nothing a browser sends changes the server. Nothing here holds a password:
rows carry user names only, and a session's exchange is the tracer's listing of its redacted entries.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from importlib import resources
from typing import TYPE_CHECKING, Protocol

from tutor.errors import InputError, TransportError
from tutor.pacing import Pacer

if TYPE_CHECKING:
    from aiohttp.web import AppRunner

PUSH_INTERVAL = 0.25        # seconds between two batches of changes
PUSH_SLOWEST = 0.75         # ...while serve is busy and batches are dear, at most this (a session shows within 1 s)
PUSH_SHARE = 0.0025         # ...so that batches then take at most this share of the CPU serve uses (tutor.pacing)
KEEPALIVE = 15.0            # a comment line this often, so a dead browser is noticed
RETRY_MS = 1000             # EventSource: reconnect this soon after the server went away (a restart)
MAX_CLIENTS = 64            # event streams at once
QUEUE = 64                  # batches a slow browser may fall behind before it gets a snapshot instead
PAGE_ROWS = 200             # the page shows the newest sessions, this many (snapshot and batches; it drops older)
FILES = {"": ("index.html", "text/html"), "app.js": ("app.js", "text/javascript"),
         "app.css": ("app.css", "text/css")}
HEADERS = {"Content-Security-Policy": "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _aiohttp():
    try:
        from aiohttp import web
    except ImportError:
        raise InputError("--web needs aiohttp: pip install 'smtp-auth-tutor[classroom]'") from None
    return web


def page_file(name: str) -> bytes:
    return resources.files("tutor.data").joinpath("web", name).read_bytes()


class PageData(Protocol):
    """What the page shows, from the caller (tutor.classroom.page.ClassroomPage): transport imports no classroom."""

    def stamp(self) -> int: ...
    def changed_json(self, stamp: int, max_rows: int) -> str: ...
    def snapshot(self, title: str, max_rows: int) -> dict: ...
    def session(self, sid: str) -> dict | None: ...


class WebView:
    """The page and its event stream for one classroom's PageData; start() binds, stop() closes every stream."""

    def __init__(self, page: PageData, host: str, port: int, title: str = "smtp-tutor serve") -> None:
        self.page, self.host, self.port, self.title = page, host, port, title
        self.addresses: list[tuple[str, int]] = []
        self._web = _aiohttp()
        self._queues: set[asyncio.Queue] = set()
        self._stamp = 0                      # the page's change count when the last batch (or snapshot) was made
        self._pusher: asyncio.Task | None = None
        self.pacer = Pacer(PUSH_INTERVAL, PUSH_SLOWEST, PUSH_SHARE)   # its cost: the last batch's CPU seconds
        self._runner: AppRunner | None = None
        self.pushed = 0                      # batches sent (for tests and the benchmark)

    # ---- life ---------------------------------------------------------------------------------------------
    async def start(self) -> list[tuple[str, int]]:
        web = self._web
        app = web.Application()
        app.router.add_get("/", self._file)
        app.router.add_get("/static/{name}", self._file)
        app.router.add_get("/events", self._events)
        app.router.add_get("/session/{sid}", self._session)
        self._runner = runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            reason = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else exc.strerror or str(exc)
            raise TransportError(f"--web: cannot listen on {self.host}:{self.port}: {reason}") from None
        for bound in runner.addresses:     # the real port when 0 was asked for
            self.addresses.append((bound[0], bound[1]))
        self._pusher = asyncio.ensure_future(self._push())
        return self.addresses

    async def stop(self) -> None:
        if self._pusher is not None:
            self._pusher.cancel()
        for queue in list(self._queues):
            _offer(queue, None)                  # each stream ends its response
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ---- changes ------------------------------------------------------------------------------------------
    async def _push(self) -> None:
        """Every PUSH_INTERVAL: the sessions that changed, as one event to every open stream."""
        while True:
            await asyncio.sleep(self.pacer.interval())
            if self._queues and self.page.stamp() != self._stamp:
                began = time.process_time()
                self._send_batch()
                self.pacer.cost = time.process_time() - began

    def _send_batch(self) -> None:
        stamp = self.page.stamp()
        body = self.page.changed_json(self._stamp, PAGE_ROWS)
        self._stamp = stamp
        message = _event_text("rows", body)
        self.pushed += 1
        for queue in list(self._queues):
            if not _offer(queue, message):
                _drain(queue)
                _offer(queue, "snapshot")        # fell behind: start it over from a snapshot

    def snapshot(self) -> str:
        return _event("snapshot", self.page.snapshot(self.title, PAGE_ROWS))

    # ---- handlers -----------------------------------------------------------------------------------------
    async def _file(self, request):
        web = self._web
        entry = FILES.get(request.match_info.get("name", ""))
        if entry is None:
            raise web.HTTPNotFound()
        name, kind = entry
        return web.Response(body=page_file(name), content_type=kind, charset="utf-8", headers=HEADERS)

    async def _session(self, request):
        web = self._web
        body = self.page.session(request.match_info["sid"])
        if body is None:
            raise web.HTTPNotFound()
        return web.json_response(body, headers=HEADERS)

    async def _events(self, request):
        web = self._web
        if len(self._queues) >= MAX_CLIENTS:
            raise web.HTTPServiceUnavailable(text="too many viewers")
        response = web.StreamResponse(headers={**HEADERS, "Content-Type": "text/event-stream"})
        await response.prepare(request)
        queue: asyncio.Queue = asyncio.Queue(QUEUE)
        if not self._queues:                     # the first page: batches carry the changes after its snapshot
            self._stamp = self.page.stamp()
        self._queues.add(queue)
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode() + self.snapshot().encode("utf-8"))
            await self._stream(response, queue)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._queues.discard(queue)
        return response

    async def _stream(self, response, queue: asyncio.Queue) -> None:
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), KEEPALIVE)
            except TimeoutError:
                message = ": keepalive\n\n"
            if message is None:
                return
            if message == "snapshot":
                message = self.snapshot()
            await response.write(message.encode("utf-8"))


def _event(name: str, body: dict) -> str:
    """One server-sent event; the JSON has no raw newline, so it fits one `data:` line."""
    return _event_text(name, json.dumps(body, ensure_ascii=False))


def _event_text(name: str, body: str) -> str:
    """One server-sent event whose data is JSON text already (escaped by the JSON encoder: no raw newline)."""
    return f"event: {name}\ndata: {body}\n\n"


def _offer(queue: asyncio.Queue, item) -> bool:
    try:
        queue.put_nowait(item)
        return True
    except asyncio.QueueFull:
        return False


def _drain(queue: asyncio.Queue) -> None:
    while not queue.empty():
        queue.get_nowait()
