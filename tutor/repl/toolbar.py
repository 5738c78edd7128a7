"""The bottom toolbar: target, TLS, AUTH state and the last reply, from a ReplView (convention 12)."""

from __future__ import annotations

from tutor import explain
from tutor.display.format import classname
from tutor.display.style import TOOLBAR
from tutor.repl.view import ReplView

T = explain.text
GOOD, WARN, TARGET = classname(TOOLBAR.Good), classname(TOOLBAR.Warn), classname(TOOLBAR.Target)


def fragments(view: ReplView) -> list[tuple[str, str]]:
    """(style, text) pairs for prompt_toolkit's bottom_toolbar: fields separated by ` | `."""
    out = [(style, f" {text} ") for style, text in _fields(view)]
    return [frag for index, item in enumerate(out) for frag in ([("", "|")] if index else []) + [item]]


def _fields(view: ReplView) -> list[tuple[str, str]]:
    if not view.connected:
        return [(WARN, T("repl.toolbar.offline")), ("", T("repl.toolbar.help"))]
    out = [(TARGET, T("repl.toolbar.target", target=view.target))]
    if view.insecure:
        out.append((WARN, T("repl.toolbar.insecure")))
    if view.tls:
        out.append((GOOD, T("repl.toolbar.tls-on", version=view.tls_version)))
    else:
        out.append(("", T("repl.toolbar.tls-off")))
    if view.line_kind == "auth-response":
        out.append((WARN, T("repl.toolbar.auth-active", mechanism=view.mechanism)))
    elif view.line_kind == "message":
        out.append((WARN, T("repl.toolbar.message")))
    elif view.authenticated:
        out.append((GOOD, T("repl.toolbar.auth-yes", mechanism=view.mechanism)))
    else:
        out.append(("", T("repl.toolbar.auth-no")))
    if view.last_reply:
        out.append(("", T("repl.toolbar.last", reply=view.last_reply)))
    if view.lesson:
        out.append((TARGET, view.lesson))
    return out


def text(view: ReplView) -> str:
    return "".join(t for _, t in fragments(view))
