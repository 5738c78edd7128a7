"""The GS2 header (RFC 5801 §4) that starts SCRAM and OAUTHBEARER messages, and saslname escaping (`=2C`, `=3D`)."""

from __future__ import annotations

import re
from typing import NamedTuple

from tutor.errors import InputError

_CB_NAME = re.compile(r"[A-Za-z0-9.-]+")            # RFC 5801 §4: cb-name = 1*(ALPHA / DIGIT / "." / "-")
_BAD_ESCAPE = re.compile(r"=(?!2C|3D)")


class EncodingError(InputError):
    """A SASL name with a bad `=` escape (SCRAM's e=invalid-username-encoding)."""


def escape(name: str) -> str:
    """A saslname: `=` becomes `=3D` and `,` becomes `=2C` (RFC 5801 §4, RFC 5802 §5.1), `=` first."""
    return name.replace("=", "=3D").replace(",", "=2C")


def unescape(saslname: str) -> str:
    """Undo escape(); InputError if an `=` is not followed by `2C` or `3D` (RFC 5802 §5.1: the server MUST fail)."""
    bad = _BAD_ESCAPE.search(saslname)
    if bad:
        raise EncodingError(f"bad escape at position {bad.start()} of {saslname!r}: in a SASL name '=' must be "
                         f"followed by 2C (for ',') or 3D (for '=') (RFC 5802 §5.1)")
    if "," in saslname:
        raise EncodingError(f"a SASL name cannot hold a bare ',': {saslname!r} (it is written =2C)")
    return saslname.replace("=2C", ",").replace("=3D", "=")


class Header(NamedTuple):
    """A parsed GS2 header: flag "n" (no channel binding), "y" (client could, thinks the server cannot) or
    "p" (channel binding required, `cb_name` says which kind); and the authzid, "" if none."""

    flag: str
    cb_name: str = ""
    authzid: str = ""

    def __str__(self) -> str:
        return build(self.flag, self.authzid, self.cb_name)


def build(flag: str = "n", authzid: str = "", cb_name: str = "") -> str:
    """`n,,`, `y,,`, `p=<cb-name>,,` and with an authzid `n,a=<saslname>,` (RFC 5801 §4)."""
    if flag not in ("n", "y", "p"):
        raise InputError(f"the GS2 channel binding flag is n, y or p, not {flag!r}")
    if (flag == "p") != bool(cb_name) or (cb_name and not _CB_NAME.fullmatch(cb_name)):
        raise InputError(f"a channel binding name goes with flag p only, and is letters, digits, '.' or '-': "
                         f"{cb_name!r}")
    cbind = f"p={cb_name}" if flag == "p" else flag
    return f"{cbind},{'a=' + escape(authzid) if authzid else ''},"


def parse(message: str) -> tuple[Header, str]:
    """Split `message` into its GS2 header and the rest; InputError if the header is malformed."""
    parts = message.split(",", 2)
    if len(parts) < 3:
        raise InputError("a GS2 header is 'flag,[a=authzid],' and needs two commas (e.g. 'n,,')")
    cbind, authz, rest = parts
    if cbind in ("n", "y"):
        flag, cb_name = cbind, ""
    elif cbind.startswith("p=") and _CB_NAME.fullmatch(cbind[2:]):
        flag, cb_name = "p", cbind[2:]
    else:
        raise InputError(f"the GS2 header starts with n, y or p=<channel binding name>, not {cbind!r}")
    if authz and not authz.startswith("a="):
        raise InputError(f"the second GS2 field is empty or a=<authzid>, not {authz!r}")
    authzid = unescape(authz[2:]) if authz else ""
    if authz and not authzid:
        raise InputError("a=<authzid> in a GS2 header must not be empty (RFC 5801 §4: saslname = 1*...)")
    return Header(flag, cb_name, authzid), rest
