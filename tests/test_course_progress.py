"""Lesson progress in the XDG data directory: where it lives, what it keeps, and that a damaged or unwritable
file never costs the learner a traceback."""

import json
import os

from tutor.course.progress import Progress, default_path


def test_the_path_follows_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path() == tmp_path / "smtp-tutor" / "progress.json"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_path() == tmp_path / "home" / ".local" / "share" / "smtp-tutor" / "progress.json"


def test_record_complete_save_and_read_back(tmp_path):
    path = tmp_path / "deep" / "progress.json"
    progress = Progress(path)
    progress.record("05-cram-md5", "ehlo")
    progress.record("05-cram-md5", "ehlo")
    progress.record("05-cram-md5", "respond")
    progress.complete("05-cram-md5")
    assert progress.save() == ""
    again = Progress(path)
    assert again.passed("05-cram-md5") == {"ehlo", "respond"}
    assert again.completed("05-cram-md5") and not again.completed("04-auth-login")
    assert json.loads(path.read_text())["version"] == 1


def test_reset_forgets_steps_but_not_completion(tmp_path):
    progress = Progress(tmp_path / "p.json")
    progress.record("01-smtp-basics", "ehlo")
    progress.complete("01-smtp-basics")
    progress.reset("01-smtp-basics")
    assert progress.passed("01-smtp-basics") == set() and progress.completed("01-smtp-basics")


def test_a_damaged_file_is_no_progress(tmp_path):
    path = tmp_path / "progress.json"
    for text in ("{not json", "[1, 2]", '{"lessons": {"x": "oops"}}', '{"lessons": {"x": {"passed": 3}}}'):
        path.write_text(text)
        progress = Progress(path)
        assert progress.passed("x") == set() and not progress.completed("x")
        progress.record("x", "a")
        assert progress.passed("x") == {"a"}


def test_an_unwritable_place_is_a_message_not_an_exception(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    progress = Progress(blocker / "progress.json")       # a directory that cannot be made
    progress.record("x", "a")
    message = progress.save()
    assert message.startswith("cannot save progress to")


def test_save_leaves_no_temporary_file(tmp_path):
    progress = Progress(tmp_path / "progress.json")
    progress.record("x", "a")
    progress.save()
    assert sorted(os.listdir(tmp_path)) == ["progress.json"]
