"""Two smtplib connections at once to a lab Postfix (scripts/lab-mta.sh instance) whose Dovecot logs with
auth_debug, auth_debug_passwords and auth_verbose_passwords=plain, their AUTH steps interleaved so that both
smtpd processes' requests (each numbered from 1 by its own auth connection) are open at the same time.
Usage: python3 postfix_dovecot_interleaved.py PORT"""
import base64
import smtplib
import sys

port = int(sys.argv[1])
b = lambda s: base64.b64encode(s.encode()).decode()
a = smtplib.SMTP("127.0.0.1", port, timeout=10)
c = smtplib.SMTP("127.0.0.1", port, timeout=10)
a.ehlo("a.example")
c.ehlo("c.example")
steps = [
    (a, "AUTH LOGIN"),                                  # A: request 1 of A's smtpd, waiting for the user
    (c, "AUTH PLAIN " + b("\0alice\0not-wonderland")),  # C: request 1 of C's smtpd, fails at once
    (a, b("tim")),
    (c, "AUTH LOGIN"),                                  # C: request 2, open while A's request 1 is
    (a, b("tanstaaftanstaaf")),                         # A: request 1 succeeds
    (c, b("tim")),
    (c, b("hunter2")),                                  # C: request 2 fails
]
for conn, line in steps:
    print(line, "->", conn.docmd(line))
a.quit()
c.quit()
