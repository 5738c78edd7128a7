"""Sessions against the lab Postfix (scripts/lab-mta.sh, plain port) whose log lines the Postfix fixture keeps:
a LOGIN cancelled with `*`, a PLAIN success that sends no mail (only the disconnect counters tell), a LOGIN
failure, and a PLAIN success that sends mail (sasl_method= line)."""
import base64
import smtplib
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 10025
b = lambda s: base64.b64encode(s.encode()).decode()

def session(steps):
    s = smtplib.SMTP("127.0.0.1", port, timeout=10)
    s.ehlo("fixture.example")
    for line in steps:
        print(line, "->", s.docmd(line))
    s.quit()

session(["AUTH LOGIN", b("tim"), "*"])                                          # aborted
session(["AUTH PLAIN " + b("\0tim\0tanstaaftanstaaf")])                          # success, no mail
session(["AUTH LOGIN", b("tim"), b("wrongpassword")])                            # failure
s = smtplib.SMTP("127.0.0.1", port, timeout=10); s.login("demo", "demo")        # success + mail
s.sendmail("demo@example.com", ["demo@example.com"], "Subject: fixture\r\n\r\nhello\r\n"); s.quit()
