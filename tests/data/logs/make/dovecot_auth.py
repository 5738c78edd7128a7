"""Talk Dovecot's auth-client protocol to a debug Dovecot (two connections, requests interleaved)."""
import base64
import socket
import sys

path = sys.argv[1]
def conn(pid):
    s = socket.socket(socket.AF_UNIX); s.connect(path); f = s.makefile("rwb", buffering=0)
    f.write(b"VERSION\t1\t2\nCPID\t%d\n" % pid)
    while f.readline().strip() != b"DONE": pass
    return f
def ask(f, line):
    f.write(line.encode() + b"\n"); return f.readline().decode().strip()
b = lambda s: base64.b64encode(s.encode()).decode()
a, c = conn(4101), conn(4102)
common = "service=smtp\tnologin\tlip=127.0.0.1\trip=127.0.0.1\tlport=10025\trport=%d"
# interleaved: a starts LOGIN, c does PLAIN (wrong password), a finishes LOGIN (right password)
print(ask(a, "AUTH\t1\tLOGIN\t" + common % 40001))
print(ask(c, "AUTH\t1\tPLAIN\t" + common % 40002 + "\tresp=" + b("\0alice\0not-wonderland")))
print(ask(a, "CONT\t1\t" + b("tim")))
print(ask(a, "CONT\t1\t" + b("tanstaaftanstaaf")))
# c: LOGIN with wrong password, a: PLAIN success for demo
print(ask(c, "AUTH\t2\tLOGIN\t" + common % 40003))
print(ask(c, "CONT\t2\t" + b("tim")))
print(ask(a, "AUTH\t2\tPLAIN\t" + common % 40004 + "\tresp=" + b("\0demo\0demo")))
print(ask(c, "CONT\t2\t" + b("hunter2")))
