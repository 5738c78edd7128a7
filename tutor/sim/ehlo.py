"""The simulator's EHLO reply (RFC 5321 §4.1.1.1): the extension lines a profile advertises, and the notes on them."""

from __future__ import annotations

from tutor.sim.profiles import Profile


def extensions(profile: Profile, tls: bool, starttls: bool) -> list[str]:
    """The extension lines after the greeting line, in the profile's order. `AUTH`/`AUTH=` are left out when
    nothing is offered (RFC 4954 §3: the list may change after STARTTLS); `STARTTLS` inside TLS or without it."""
    offered = " ".join(profile.offered(tls))
    lines = []
    for item in profile.ehlo:
        if item in ("AUTH", "AUTH=") and not offered:
            continue
        if item == "STARTTLS" and (tls or not starttls):
            continue
        lines.append(f"AUTH={offered}" if item == "AUTH=" else f"AUTH {offered}" if item == "AUTH"
                     else item.format(size=profile.max_message_size))
    return lines


def notes(profile: Profile, tls: bool) -> list[tuple[str, dict]]:
    """What the server says about its EHLO reply: what it offers, and the profile's own notes."""
    offered = profile.offered(tls)
    said: list[tuple[str, dict]] = []
    if offered:
        said.append(("sim.ehlo.offered", {"mechanisms": " ".join(offered)}))
    elif profile.auth_requires_tls and not tls:
        said.append(("sim.ehlo.no-auth-before-tls", {}))
    said += [(key, {}) for key in profile.ehlo_notes if not (key == "sim.ehlo.lab-clear" and tls)]
    if tls and profile.auth_requires_tls:
        said.append(("sim.ehlo.after-tls", {}))
    return said
