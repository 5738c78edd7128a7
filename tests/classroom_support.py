"""Test helper for the classroom: `serve` with the classroom model and its web view, on 127.0.0.1, in a
background event loop (like peers.ServerThread); it can be stopped and started again on the same ports."""

from __future__ import annotations

import asyncio
import threading

from peers import WAIT

from tutor.classroom.feed import Feed
from tutor.classroom.model import Classroom
from tutor.sim import SimServer, Sink
from tutor.transport.asyncio_server import ServeConfig, SimService

PASSWORD = "tanstaaftanstaaf"


class ClassServer:
    """SimService + Classroom + WebView on one loop; `start()` / `stop()` may be called again (a restart)."""

    def __init__(self, profile: str = "lab", web: bool = True) -> None:
        self.profile, self.with_web = profile, web
        self.port = self.web_port = 0
        self.room: Classroom | None = None
        self.service: SimService | None = None
        self.web = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(WAIT)

    def start(self) -> ClassServer:
        self.room = Classroom()
        config = ServeConfig("127.0.0.1", self.port, None, None, 100, log=None, watch=Feed(self.room))
        sink = Sink()
        self.service = SimService(lambda tls_ok: SimServer(self.profile, sink=sink, starttls=tls_ok), config)
        self.port = self.call(self.service.start())[0][1]
        if self.with_web:
            from tutor.classroom.page import ClassroomPage
            from tutor.transport.web import WebView
            self.web = WebView(ClassroomPage(self.room), "127.0.0.1", self.web_port)
            self.web_port = self.call(self.web.start())[0][1]
        return self

    def stop(self) -> None:
        if self.web is not None:
            self.call(self.web.stop())
        self.call(self.service.stop())

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT)
        self._loop.close()

    def __enter__(self) -> ClassServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            self.close()

    def summaries(self):
        async def read():
            return self.room.summaries()
        return self.call(read())
