"""Run inside a private network namespace (tests/test_live_guard_netns.py): put 10.99.0.1 on `lo`, start a tiny
SMTP listener there that records every line it receives, run `smtp-tutor connect` in batch mode against it,
and print one JSON object: the tutor's exit code, its output, and the lines the listener received.

Nothing leaves the machine: the namespace has no interface but its own `lo`.
Usage: python netns_guard_child.py SCRIPT_FILE [extra connect options...]
"""

import json
import os
import socket
import subprocess
import sys
import threading

ADDRESS = "10.99.0.1"
WAIT = 20.0


def setup_address() -> None:
    subprocess.run(["ip", "addr", "add", f"{ADDRESS}/32", "dev", "lo"], check=True, timeout=WAIT)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=WAIT)


def reply_to(line: bytes, in_auth: bool) -> tuple[bytes, bool]:
    """A minimal server: EHLO offers AUTH PLAIN LOGIN, AUTH asks for more, anything else is unknown."""
    verb = line.split(None, 1)[0].upper() if line.strip() else b""
    if in_auth:
        return b"535 5.7.8 no\r\n", False
    if verb == b"EHLO":
        return b"250-netns.test\r\n250 AUTH PLAIN LOGIN\r\n", False
    if verb == b"AUTH":
        return b"334 \r\n", True
    if verb == b"QUIT":
        return b"221 2.0.0 bye\r\n", False
    if verb in (b"NOOP", b"RSET"):
        return b"250 2.0.0 ok\r\n", False
    return b"500 5.5.2 unknown command\r\n", False


def serve(listener: socket.socket, received: list) -> None:
    conn, _ = listener.accept()
    conn.settimeout(WAIT)
    with conn:
        conn.sendall(b"220 netns.test ESMTP\r\n")
        buffer, in_auth = b"", False
        while True:
            try:
                chunk = conn.recv(4096)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while b"\r\n" in buffer:
                line, buffer = buffer.split(b"\r\n", 1)
                received.append(line.decode("utf-8", "replace"))
                answer, in_auth = reply_to(line, in_auth)
                conn.sendall(answer)
                if answer.startswith(b"221"):
                    return


def main() -> None:
    setup_address()
    listener = socket.create_server((ADDRESS, 0))
    port = listener.getsockname()[1]
    received: list = []
    thread = threading.Thread(target=serve, args=(listener, received), daemon=True)
    thread.start()
    command = [sys.executable, "-m", "tutor", "connect", f"{ADDRESS}:{port}", "--script", sys.argv[1],
               "--timeout", "5", *sys.argv[2:]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=WAIT, env={**os.environ, "NO_COLOR": "1"})
    thread.join(WAIT)
    print(json.dumps({"code": done.returncode, "out": done.stdout, "err": done.stderr, "received": received}))


if __name__ == "__main__":
    main()
