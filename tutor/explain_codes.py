"""What a reply code means: basic (RFC 5321/4954/3207) and enhanced (RFC 3463) codes; words in data/codes.toml.

One code means different things after different commands (501 to `RCPT TO:` is RFC 5321's, 501 to `*` is
RFC 4954's), so `reading()` picks the note from what the reply answers (the command verb or the AUTH step,
tutor.protocol.codes.step_of), the code, the enhanced code and the reply text. Both the REPL and the tracer
annotate replies through it; checking and parsing codes is the wire layer's (tutor.protocol.codes).
"""

from __future__ import annotations

from typing import Any

from tutor.explain import load
from tutor.protocol.codes import check_code, check_enhanced
from tutor.protocol.record import Record, _set

ANY = "*"


class Context(Record):
    """One reading of a code that means different things after different commands.

    `after` lists the steps it answers (verbs, or the step names above; "*" for any); `enhanced` and `text`,
    when set, must match the reply's enhanced code (if it has one) and appear in its text.
    """

    __slots__ = ("when", "meaning", "rfc", "enhanced", "name", "after", "text")
    when: str
    meaning: str
    rfc: str
    enhanced: str | None
    name: str
    after: tuple[str, ...]
    text: str

    def __init__(self, when: str, meaning: str, rfc: str, enhanced: str | None = None, name: str = "",
                 after: tuple[str, ...] = (ANY,), text: str = "") -> None:
        _set(self, "when", when)
        _set(self, "meaning", meaning)
        _set(self, "rfc", rfc)
        _set(self, "enhanced", enhanced)
        _set(self, "name", name)
        _set(self, "after", after)
        _set(self, "text", text)


class Reading(Record):
    """The note chosen for one reply: `key` names the table entry (`codes.reply.501.rcpt-syntax`)."""

    __slots__ = ("key", "code", "meaning", "rfc", "enhanced", "enhanced_meaning", "enhanced_rfc")
    key: str
    code: int
    meaning: str
    rfc: str
    enhanced: str | None
    enhanced_meaning: str | None
    enhanced_rfc: str | None

    def __init__(self, key: str, code: int, meaning: str, rfc: str, enhanced: str | None = None,
                 enhanced_meaning: str | None = None, enhanced_rfc: str | None = None) -> None:
        _set(self, "key", key)
        _set(self, "code", code)
        _set(self, "meaning", meaning)
        _set(self, "rfc", rfc)
        _set(self, "enhanced", enhanced)
        _set(self, "enhanced_meaning", enhanced_meaning)
        _set(self, "enhanced_rfc", enhanced_rfc)


class CodeInfo(Record):
    """Everything the tutor knows about one reply code (and the enhanced code given with it, if any)."""

    __slots__ = ("code", "meaning", "explain", "rfc", "contexts", "enhanced", "enhanced_meaning", "enhanced_rfc",
                 "suggested")
    code: int
    meaning: str
    explain: str
    rfc: str
    contexts: tuple[Context, ...]
    enhanced: str | None
    enhanced_meaning: str | None
    enhanced_rfc: str | None
    suggested: str | None  # the enhanced code the RFC pairs with this reply, if it names exactly one

    def __init__(self, code: int, meaning: str, explain: str, rfc: str, contexts: tuple[Context, ...] = (),
                 enhanced: str | None = None, enhanced_meaning: str | None = None, enhanced_rfc: str | None = None,
                 suggested: str | None = None) -> None:
        _set(self, "code", code)
        _set(self, "meaning", meaning)
        _set(self, "explain", explain)
        _set(self, "rfc", rfc)
        _set(self, "contexts", contexts)
        _set(self, "enhanced", enhanced)
        _set(self, "enhanced_meaning", enhanced_meaning)
        _set(self, "enhanced_rfc", enhanced_rfc)
        _set(self, "suggested", suggested)


def _table() -> dict[str, Any]:
    return load("codes")


def _template(name: str, **params: Any) -> str:
    return _table().get("templates", {}).get(name, name).format(**params)


def _contexts(entry: dict[str, Any]) -> tuple[Context, ...]:
    return tuple(
        Context(c["when"], c["meaning"], c["rfc"], c.get("enhanced"), c.get("name", ""),
                tuple(c.get("after", [ANY])), c.get("text", ""))
        for c in entry.get("contexts", [])
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


def _score(context: Context, step: str, enhanced: str | None, text: str) -> int:
    """How well a context fits the reply, or -1 if it does not: enhanced code 4, text 2, a named step 1."""
    if ANY not in context.after and step not in context.after:
        return -1
    if context.text and context.text.casefold() not in text.casefold():
        return -1
    if context.enhanced and enhanced and context.enhanced != enhanced:
        return -1
    return 4 * (bool(enhanced) and context.enhanced == enhanced) + 2 * bool(context.text) + (step in context.after)


def choose(contexts: tuple[Context, ...], step: str, enhanced: str | None, text: str) -> Context | None:
    """The best-fitting context for (step, enhanced code, text), or None; the first of equals wins.
    Without a step (`:explain 500 5.5.6`) only a context named by the enhanced code alone is taken."""
    if not step:
        named = [c for c in contexts if enhanced and c.enhanced == enhanced]
        return named[0] if len(named) == 1 else None
    best, best_score = None, -1
    for context in contexts:
        score = _score(context, step, enhanced, text)
        if score > best_score:
            best, best_score = context, score
    return best


def reading(code: int | str, enhanced: str | None = None, step: str = "", text: str = "") -> Reading:
    """The note for a reply: by the step it answers (a verb, or GREETING/AUTH_RESPONSE/...), the code, the
    enhanced code and the reply text; InputError for a malformed code."""
    info = describe(code, enhanced)
    context = choose(info.contexts, step, info.enhanced, text)
    key = f"codes.reply.{info.code}" + (f".{context.name}" if context and context.name else "")
    meaning, rfc = (context.meaning, context.rfc) if context else (info.meaning, info.rfc)
    detail_meaning = detail_rfc = None
    if info.enhanced:
        _, detail_meaning, detail_rfc, _ = _enhanced_parts(info.enhanced)
    return Reading(key, info.code, meaning, rfc, info.enhanced, detail_meaning, detail_rfc)


def one_line(code: int | str, enhanced: str | None = None, step: str = "", text: str = "") -> str:
    """E.g. `501 5.5.4: Syntax error in the RCPT TO: argument (RFC 5321 §4.1.1.3, §4.3.2); 5.5.4: Invalid
    command arguments (RFC 3463 §3)`. The enhanced code's own meaning is always given, unless it repeats."""
    note = reading(code, enhanced, step, text)
    head = f"{note.code} {note.enhanced}" if note.enhanced else str(note.code)
    line = f"{head}: {note.meaning} ({note.rfc})"
    if note.enhanced and note.enhanced_meaning and note.enhanced_meaning.casefold() != note.meaning.casefold():
        line += f"; {note.enhanced}: {note.enhanced_meaning}" + (f" ({note.enhanced_rfc})" if note.enhanced_rfc else "")
    return line
