"""Open files for `serve`: each client holds one, so --max-clients must fit under RLIMIT_NOFILE."""

from __future__ import annotations

SPARE_FILES = 64   # listeners, the log, the recording, certificates, and refused connections on their way out


def fit_open_files(max_clients: int) -> tuple[int, str | None]:
    """(clients to serve, a line to tell the user or None): raise the soft limit if it is too low, else cap."""
    try:
        import resource
    except ImportError:   # pragma: no cover - not on every platform
        return max_clients, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = max_clients + SPARE_FILES
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return max_clients, None
    target = needed if hard == resource.RLIM_INFINITY or hard >= needed else hard
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    except (ValueError, OSError):
        pass
    if soft >= needed:
        return max_clients, None
    capped = max(1, soft - SPARE_FILES)
    return capped, (f"--max-clients {max_clients} does not fit the open-files limit ({soft}, see ulimit -n): "
                    f"serving at most {capped} clients")
