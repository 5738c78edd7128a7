"""Finding the RFC and draft citations in the project's prose and code (for test_citations and test_reply_notes).

Forms read: `RFC 4954`, `RFC4954`, `RFC 4954 §4`, `RFC 4954 §4, §6`, `RFC 4954 §4/§14`, `RFC 4954 (§3)`,
`RFC 5321/4954/3207`, `RFC 7628's`, and drafts `draft-ietf-sasl-crammd5-09 §5` (the version is dropped).
Line breaks and TOML `\\` continuations inside a citation are read as one space.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = r"§ ?\d+(?:\.\d+)*(?:(?:, ?| and | or |/)§ ?\d+(?:\.\d+)*)*"
RFC = re.compile(r"\bRFC ?(\d{3,4})((?:/\d{3,4})*)(?:'s)?(?: ?\(?(" + SECTIONS + r"))?")
DRAFT = re.compile(r"\b(draft-[a-z0-9]+-[a-z0-9]+(?:-[a-z0-9]+)*?)(?:-\d\d)?(?![a-z0-9-])(?: ?\(?(" + SECTIONS + r"))?")
SECTION = re.compile(r"§ ?(\d+(?:\.\d+)*)")


def citations(text: str) -> set[tuple[str, str]]:
    """{(document, section or "")} cited in `text`: ("RFC 4954", "4"), ("draft-ietf-sasl-crammd5", "5")."""
    text = " ".join(text.replace("\\\n", " ").split())
    found: set[tuple[str, str]] = set()
    for match in RFC.finditer(text):
        numbers = [match.group(1)] + [n for n in match.group(2).split("/") if n]
        sections = SECTION.findall(match.group(3) or "")
        found.add((f"RFC {numbers[0]}", "")) if not sections else None
        found.update((f"RFC {numbers[0]}", s) for s in sections)
        found.update((f"RFC {n}", "") for n in numbers[1:])
    for match in DRAFT.finditer(text):
        sections = SECTION.findall(match.group(2) or "") or [""]
        found.update((match.group(1), s) for s in sections)
    return found


def reply_citations(note: str, enhanced: str | None) -> set[str]:
    """The sections a reply note cites for the reply itself (not the enhanced code's own meaning after `; 5.x.y:`)."""
    head = note.split(f"; {enhanced}:", maxsplit=1)[0] if enhanced else note
    return {f"{doc} §{section}" if section else doc for doc, section in citations(head)}


def toml_strings(path: Path) -> list[str]:
    """Every string value in a TOML file (continuations resolved by the parser)."""
    out: list[str] = []

    def walk(value) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(tomllib.loads(path.read_text(encoding="utf-8")))
    return out


def project_files() -> list[Path]:
    """Where the project cites: teaching TOML, lessons, READMEs, and the code (strings shown, comments)."""
    files = sorted((ROOT / "tutor" / "data").glob("*.toml")) + sorted((ROOT / "lessons").glob("*.toml"))
    files += [ROOT / "README.md", ROOT / "lessons" / "README.md"]
    files += sorted(p for p in (ROOT / "tutor").rglob("*.py"))
    return [f for f in files if f.exists()]


def project_citations() -> dict[tuple[str, str], list[str]]:
    """Every citation in the project, with the files that make it."""
    where: dict[tuple[str, str], list[str]] = {}
    for path in project_files():
        texts = toml_strings(path) if path.suffix == ".toml" else [path.read_text(encoding="utf-8")]
        for text in texts:
            for cited in citations(text):
                where.setdefault(cited, []).append(str(path.relative_to(ROOT)))
    return where
