"""A one-connection SMTP server on 127.0.0.1 that waits 2.5 s before its 535, so that curl's progress meter
(updated every second) is written between curl's -v lines. Usage: python3 slow_535_server.py PORT"""
import socket
import sys
import time

srv = socket.create_server(("127.0.0.1", int(sys.argv[1])))
conn, _ = srv.accept()
f = conn.makefile("rwb", buffering=0)
def say(line): f.write(line.encode() + b"\r\n")
say("220 slow.example ESMTP")
while line := f.readline():
    cmd = line.strip().upper()
    if cmd.startswith(b"EHLO"):
        say("250-slow.example"); say("250 AUTH PLAIN LOGIN")
    elif cmd == b"AUTH LOGIN":
        say("334 VXNlcm5hbWU6"); f.readline(); say("334 UGFzc3dvcmQ6"); f.readline()
        time.sleep(2.5); say("535 5.7.8 Authentication credentials invalid")
    elif cmd == b"QUIT":
        say("221 bye"); break
    else:
        say("502 5.5.2 not here")
conn.close()
