"""What a reply code means: basic (RFC 5321/4954/3207) and enhanced (RFC 3463) codes; words in data/codes.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tutor.errors import InputError
from tutor.explain import load

_CODE = re.compile(r"\d{3}", re.ASCII)
_ENHANCED = re.compile(r"([245])\.(\d{1,3})\.(\d{1,3})", re.ASCII)  # RFC 3463 §2: class "." 1*3digit "." 1*3digit
_LOOKS_ENHANCED = re.compile(r"\d+(?:\.\d*){1,2}", re.ASCII)  # meant as an enhanced code, well-formed or not
_REPLY_START = re.compile(r"(\S+?)(?:[\s-](.*))?", re.DOTALL)  # `535 text` or a continuation line `250-text`


@dataclass(frozen=True)
class Context:
    """One reading of a code that means different things after different commands."""

    when: str
    meaning: str
    rfc: str
    enhanced: str | None = None


@dataclass(frozen=True)
class CodeInfo:
    """Everything the tutor knows about one reply code (and the enhanced code given with it, if any)."""

    code: int
    meaning: str
    explain: str
    rfc: str
    contexts: tuple[Context, ...] = ()
    enhanced: str | None = None
    enhanced_meaning: str | None = None
    enhanced_rfc: str | None = None
    suggested: str | None = None  # the enhanced code the RFC pairs with this reply, if it names exactly one


def _table() -> dict[str, Any]:
    return load("codes")


def _template(name: str, **params: Any) -> str:
    return _table().get("templates", {}).get(name, name).format(**params)


def check_code(code: int | str) -> int:
    """The code as an int, or InputError unless it is three digits 200-599."""
    text = str(code).strip() if isinstance(code, (int, str)) and not isinstance(code, bool) else None
    if text is None or not _CODE.fullmatch(text) or not 200 <= int(text) <= 599:
        raise InputError(f"reply codes are three digits 200-599, got {code!r}")
    return int(text)


def check_enhanced(enhanced: str, code: int | None = None) -> str:
    """A well-formed enhanced status code `class.subject.detail`, or InputError; its class must match the reply's."""
    text = str(enhanced).strip()
    match = _ENHANCED.fullmatch(text)
    if not match:
        raise InputError(
            f"enhanced status codes are class.subject.detail, class 2, 4 or 5, up to 3 digits each "
            f"(RFC 3463 §2), got {enhanced!r}"
        )
    if code is not None and int(match.group(1)) != code // 100:
        raise InputError(f"enhanced code {text} is class {match.group(1)}, but reply {code} is class {code // 100}")
    return f"{match.group(1)}.{int(match.group(2))}.{int(match.group(3))}"


def _contexts(entry: dict[str, Any]) -> tuple[Context, ...]:
    return tuple(
        Context(c["when"], c["meaning"], c["rfc"], c.get("enhanced")) for c in entry.get("contexts", [])
    )


def _generic(code: int) -> dict[str, str]:
    """Meaning by digits (RFC 5321 §4.2.1) for a code the table does not list."""
    generic = _table()["generic"]
    first, second = divmod(code // 10, 10)
    klass = generic["class"][str(first)]
    category = generic["category"].get(str(second))
    cat_meaning = category["meaning"] if category else _template("no_category", second=second)
    cat_explain = category["explain"] if category else _template("no_category_explain")
    return {
        "meaning": _template(
            "generic_meaning", klass=klass["meaning"], first=first, category=cat_meaning, second=second
        ),
        "explain": _template("generic_explain", code=code, klass=klass["explain"], category=cat_explain),
        "rfc": klass["rfc"],
    }


def _enhanced_parts(enhanced: str) -> tuple[str, str, str | None, str]:
    """(class + subject + detail meaning, detail meaning, detail rfc or None if unlisted, all rfcs) of a valid code."""
    table = _table()["enhanced"]
    klass, subject, detail = enhanced.split(".")
    subject_entry = table["subject"].get(subject)
    detail_entry = table["detail"].get(f"{subject}.{detail}")
    subject_meaning = subject_entry["meaning"] if subject_entry else _template("unknown_subject", subject=subject)
    if detail_entry:
        detail_meaning, detail_rfc = detail_entry["meaning"], detail_entry["rfc"]
    else:
        detail_meaning, detail_rfc = _template("unknown_detail", subject=subject, detail=detail), None
    full = f"{table['class'][klass]['meaning']}, {subject_meaning}: {detail_meaning}"
    rfcs = [table["class"][klass]["rfc"], detail_rfc]
    usage = table.get("code", {}).get(enhanced)
    if usage:
        full += f" ({usage['meaning']})"
        rfcs.append(usage["rfc"])
    return full, detail_meaning, detail_rfc, "; ".join(dict.fromkeys(r for r in rfcs if r))


def describe(code: int | str, enhanced: str | None = None) -> CodeInfo:
    """All the tutor knows about `code` (and `enhanced`, when given); InputError for malformed input."""
    number = check_code(code)
    entry = _table()["reply"].get(str(number)) or _generic(number)
    given = check_enhanced(enhanced, number) if enhanced else None
    enhanced_meaning = enhanced_rfc = None
    if given:
        enhanced_meaning, _, _, enhanced_rfc = _enhanced_parts(given)
    return CodeInfo(
        code=number,
        meaning=entry["meaning"],
        explain=entry["explain"].strip(),
        rfc=entry["rfc"],
        contexts=_contexts(entry),
        enhanced=given,
        enhanced_meaning=enhanced_meaning,
        enhanced_rfc=enhanced_rfc,
        suggested=entry.get("enhanced"),
    )


def one_line(code: int | str, enhanced: str | None = None) -> str:
    """E.g. `535 5.7.8: Authentication credentials invalid (RFC 4954 §6)`; adds the enhanced code's own
    meaning when it says something the reply's meaning does not."""
    info = describe(code, enhanced)
    head = f"{info.code} {info.enhanced}" if info.enhanced else str(info.code)
    line = f"{head}: {info.meaning} ({info.rfc})"
    if info.enhanced:
        expected = {info.suggested} | {c.enhanced for c in info.contexts}
        _, detail_meaning, detail_rfc, _ = _enhanced_parts(info.enhanced)
        if info.enhanced not in expected and detail_meaning.casefold() != info.meaning.casefold():
            line += f"; {info.enhanced}: {detail_meaning}" + (f" ({detail_rfc})" if detail_rfc else "")
    return line


def parse_code_args(args: list[str]) -> tuple[int, str | None]:
    """(code, enhanced or None) from `535`, `535 5.7.8`, `535 5.7.8 text...` or a whole reply line."""
    line = " ".join(args).strip()
    if not line:
        raise InputError("give a reply code, e.g. `535` or `535 5.7.8`")
    match = _REPLY_START.fullmatch(line)
    assert match is not None  # any non-empty stripped line matches
    code = check_code(match.group(1))
    rest = (match.group(2) or "").split(maxsplit=1)
    if rest and _LOOKS_ENHANCED.fullmatch(rest[0]):
        return code, check_enhanced(rest[0], code)
    return code, None
