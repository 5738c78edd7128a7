"""A tiny scripted SMTP server on loopback for real NTLM clients (swaks + Authen::NTLM): C:/S: transcript out.

It offers `AUTH NTLM`, answers the client's NEGOTIATE with a CHALLENGE_MESSAGE built field by field as MS-NLMP
2.2.1.2 lays it out (server challenge 0123456789abcdef, target "LAB"), and answers the AUTHENTICATE with 535
(it cannot check NTLM: this server only records what a real client sends).
Usage: python ntlm_loopback.py PORT_FILE TRANSCRIPT
"""

from __future__ import annotations

import base64
import socket
import struct
import sys

SERVER_CHALLENGE = bytes.fromhex("0123456789abcdef")


def challenge_message() -> bytes:
    target = "LAB".encode("utf-16-le")
    info = struct.pack("<HH", 2, len(target)) + target + struct.pack("<HH", 0, 0)      # MsvAvNbDomainName, EOL
    flags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00010000 | 0x00080000 | 0x00800000   # + TARGET_INFO
    return (b"NTLMSSP\x00" + struct.pack("<I", 2) + struct.pack("<HHI", len(target), len(target), 48)
            + struct.pack("<I", flags) + SERVER_CHALLENGE + b"\x00" * 8
            + struct.pack("<HHI", len(info), len(info), 48 + len(target)) + target + info)


def serve(port_file: str, transcript: str) -> None:
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
            send("220 exchange.lab.example Microsoft ESMTP MAIL Service ready")
            stage = ""
            for raw in reader:
                line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
                log.write(f"C: {line}\n")
                words = line.split()
                verb = words[0].upper() if words else ""
                if stage == "negotiate" or (verb == "AUTH" and len(words) == 3):
                    stage = "authenticate"
                    send("334 " + base64.b64encode(challenge_message()).decode())
                elif stage == "authenticate":
                    stage = ""
                    send("535 5.7.3 Authentication unsuccessful")
                elif verb == "AUTH":
                    stage = "negotiate"
                    send("334 ")
                elif verb in ("EHLO", "HELO"):
                    send("250-exchange.lab.example Hello")
                    send("250 AUTH NTLM LOGIN")
                elif verb == "QUIT":
                    send("221 2.0.0 Service closing transmission channel")
                    break
                else:
                    send("250 ok")


if __name__ == "__main__":
    serve(*sys.argv[1:])
