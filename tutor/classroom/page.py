"""What the classroom web page shows, as JSON-ready dicts: the rows that changed, a snapshot, one session's
detail. tutor.transport.web serves it without knowing the classroom model (the caller passes this in)."""

from __future__ import annotations

import json

from tutor.classroom import detail, rows
from tutor.classroom.model import Classroom


class ClassroomPage:
    """One Classroom seen as the web page's data."""

    def __init__(self, room: Classroom) -> None:
        self.room = room

    def stamp(self) -> int:
        """The class's change count now (what changed() is later asked about)."""
        return self.room.stamp()

    def changed(self, stamp: int, max_rows: int) -> dict:
        """The rows that changed since `stamp` among those the page shows (the newest `max_rows` sessions), and
        the totals. Only those rows are made: a busy class starts hundreds of sessions between two batches."""
        shown = self.room.changed_since(stamp, max_rows)
        return {"rows": [rows.as_dict(s) for s in shown], "totals": rows.totals_dict(self.room.totals())}

    def changed_json(self, stamp: int, max_rows: int) -> str:
        """changed() as JSON text (what the page's batches send: made without a dict for each row)."""
        shown = self.room.changed_since(stamp, max_rows)
        totals = json.dumps(rows.totals_dict(self.room.totals()), ensure_ascii=False)
        return f'{{"rows": [{", ".join([rows.as_json(s) for s in shown])}], "totals": {totals}}}'   # (as json.dumps)

    def snapshot(self, title: str, max_rows: int) -> dict:
        """The whole page: title, the newest `max_rows` rows (`keep`: the page keeps no more), totals, columns and
        headings."""
        summaries = self.room.summaries(max_rows)
        return {"title": title, "rows": [rows.as_dict(s) for s in summaries], "keep": max_rows,
                "totals": rows.totals_dict(self.room.totals()), "columns": list(rows.COLUMNS),
                "headings": rows.headings()}

    def session(self, sid: str) -> dict | None:
        """One session's row and its detail lines, or None when there is no such session."""
        summary = self.room.summary(sid)
        if summary is None:
            return None
        lines = [[[kind, text] for kind, text in line] for line in detail.listing(summary)]
        return {"id": summary.sid, "row": rows.as_dict(summary), "lines": lines}
