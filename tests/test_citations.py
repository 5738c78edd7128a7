"""Every RFC and draft citation in the project is in tutor/data/citations.toml, with the section's real title.

The scan covers the teaching TOML (tutor/data, lessons), the READMEs and the code (strings shown to users and
comments). The table's header says how each entry was checked against the RFC text. The notes the annotator
makes for each (command, reply) the simulator can produce are checked in test_reply_notes.py.
"""

from __future__ import annotations

import tomllib

import pytest
from citations import ROOT, citations, project_citations, project_files

TABLE = tomllib.loads((ROOT / "tutor" / "data" / "citations.toml").read_text(encoding="utf-8"))["doc"]


def test_the_scanner_reads_every_form_the_project_uses():
    text = ("RFC 4954 §4, §6; RFC 5321 §4.1.1.3 and RFC2195. RFC 4954 §4/§14, RFC 4954 (§3), RFC 5321/4954/3207, "
            "RFC 7628's error format, draft-ietf-sasl-crammd5-09 §5, draft-murchison-sasl-login-00, "
            "RFC 5321 \\\n§3.4, the draft-login profile.")
    assert citations(text) == {
        ("RFC 4954", "4"), ("RFC 4954", "6"), ("RFC 5321", "4.1.1.3"), ("RFC 2195", ""), ("RFC 4954", "14"),
        ("RFC 4954", "3"), ("RFC 5321", ""), ("RFC 4954", ""), ("RFC 3207", ""), ("RFC 7628", ""),
        ("draft-ietf-sasl-crammd5", "5"), ("draft-murchison-sasl-login", ""), ("RFC 5321", "3.4")}


def test_the_scan_reaches_lessons_data_readmes_and_code():
    names = {p.relative_to(ROOT).as_posix() for p in project_files()}
    assert {"README.md", "lessons/README.md", "tutor/data/codes.toml", "lessons/06-when-it-fails.toml",
            "tutor/trace/findings.py", "tutor/cli/connect.py"} <= names


def test_every_citation_in_the_project_is_in_the_table():
    missing = {}
    for (doc, section), where in sorted(project_citations().items()):
        entry = TABLE.get(doc)
        if entry is None or (section and section not in entry.get("section", {})):
            missing[f"{doc} §{section}" if section else doc] = sorted(set(where))
    assert not missing, f"cited but not in tutor/data/citations.toml: {missing}"


@pytest.mark.parametrize("doc", sorted(TABLE))
def test_every_entry_has_a_title_and_says_how_it_was_checked(doc):
    entry = TABLE[doc]
    assert entry["title"].strip() and entry["checked"] in {"text", "quoted", "title"}
    sections = entry.get("section", {})
    assert all(title.strip() for title in sections.values())
    assert set(entry.get("unverified", [])) <= set(sections), "unverified sections must be listed sections"
    if entry["checked"] == "title":
        assert set(entry.get("unverified", [])) == set(sections), "a title-only entry has no checked section"


def test_a_made_up_section_is_caught():
    fake = citations("as RFC 4954 §12.7 says")
    assert fake == {("RFC 4954", "12.7")} and "12.7" not in TABLE["RFC 4954"]["section"]
