"""A tiny scripted SMTP server on loopback for real DIGEST-MD5 clients (gsasl): one session, C:/S: transcript out.

It answers EHLO with `AUTH DIGEST-MD5`, runs tutor.sasl.digest_md5.DigestServer for the exchange (nonce fixed
for repeatable fixtures), and writes every line it saw as `C: ...` / `S: ...` to the transcript file.
Usage: python digest_loopback.py PORT_FILE TRANSCRIPT [USER:PASSWORD]
"""

from __future__ import annotations

import base64
import socket
import sys

from tutor.sasl.base import Challenge
from tutor.sasl.digest_md5 import DigestServer


def serve(port_file: str, transcript: str, account: str = "tim:tanstaaftanstaaf") -> None:
    user, _, password = account.partition(":")
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(20)
        with open(port_file, "w") as out:
            out.write(str(listener.getsockname()[1]))
        conn, _ = listener.accept()
        conn.settimeout(20)
        with conn, conn.makefile("rb") as reader, open(transcript, "w") as log:
            def send(line: str) -> None:
                log.write(f"S: {line}\n")
                conn.sendall(line.encode() + b"\r\n")
            send("220 mx.lab.example ESMTP digest loopback")
            server = None
            for raw in reader:
                line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
                log.write(f"C: {line}\n")
                verb = line.split(" ")[0].upper()
                if server is not None:
                    outcome = server.receive(base64.b64decode(line))
                    if isinstance(outcome, Challenge):
                        send("334 " + base64.b64encode(outcome.data).decode())
                    else:
                        send("235 2.7.0 ok" if outcome.result.success else "535 5.7.8 no")
                        server = None
                elif verb in ("EHLO", "HELO"):
                    send("250-mx.lab.example")
                    send("250 AUTH DIGEST-MD5")
                elif verb == "AUTH":
                    server = DigestServer(lambda name: password if name == user else None, realm="mx.lab.example",
                                          nonce="OA6MG9tEQGm2hh")
                    send("334 " + base64.b64encode(server.start(None).data).decode())
                elif verb == "QUIT":
                    send("221 bye")
                    break
                else:
                    send("250 ok")


if __name__ == "__main__":
    serve(*sys.argv[1:])
