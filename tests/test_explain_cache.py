"""The parsed-prose cache (tutor.prose_cache, used by tutor.explain): used when it matches, ignored otherwise."""

from __future__ import annotations

import marshal
import os

import pytest

from tutor import explain, prose_cache


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def _toml(path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_first_read_parses_and_keeps_a_cache_file(cache_home):
    source = _toml(cache_home / "words.toml", 'greeting = "hello"\n[notes]\nx = { text = "a note" }\n')
    assert explain.read_toml(source, "words") == {"greeting": "hello", "notes": {"x": {"text": "a note"}}}
    cached = os.path.join(prose_cache.cache_dir(), "words.marshal")
    assert os.path.isfile(cached)
    assert cache_home.joinpath("cache", "smtp-tutor").is_dir()
    assert oct(os.stat(os.path.dirname(cached)).st_mode & 0o777) == oct(0o700)


def test_a_matching_cache_is_read_instead_of_the_toml(cache_home):
    source = _toml(cache_home / "words.toml", 'greeting = "hello"\n')
    explain.read_toml(source, "words")
    cached = os.path.join(prose_cache.cache_dir(), "words.marshal")
    with open(cached, "rb") as stored:
        stamp, _data = marshal.loads(stored.read())
    with open(cached, "wb") as out:   # same stamp, other words: only a read of the cache can return them
        out.write(marshal.dumps((stamp, {"greeting": "from the cache"})))
    assert explain.read_toml(source, "words") == {"greeting": "from the cache"}


def test_an_edited_toml_is_parsed_again(cache_home):
    path = cache_home / "words.toml"
    source = _toml(path, 'greeting = "hello"\n')
    explain.read_toml(source, "words")
    _toml(path, 'greeting = "hello again, longer"\n')
    os.utime(source, ns=(os.stat(source).st_atime_ns, os.stat(source).st_mtime_ns + 10**9))
    assert explain.read_toml(source, "words") == {"greeting": "hello again, longer"}


@pytest.mark.parametrize("junk", [b"", b"\x00garbage", marshal.dumps("a string"), marshal.dumps((1, 2, 3)),
                                  marshal.dumps(((0, "other", 1, 2), {"greeting": "stale"}))])
def test_a_corrupt_or_foreign_cache_file_is_ignored_and_replaced(cache_home, junk):
    source = _toml(cache_home / "words.toml", 'greeting = "hello"\n')
    os.makedirs(prose_cache.cache_dir(), exist_ok=True)
    cached = os.path.join(prose_cache.cache_dir(), "words.marshal")
    with open(cached, "wb") as out:
        out.write(junk)
    assert explain.read_toml(source, "words") == {"greeting": "hello"}
    assert prose_cache.read("words", source) == {"greeting": "hello"}   # rewritten with the right parse


def test_a_cache_that_cannot_be_written_is_not_an_error(cache_home, monkeypatch):
    blocker = cache_home / "not-a-dir"
    blocker.write_text("a file where the cache directory would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    source = _toml(cache_home / "words.toml", 'greeting = "hello"\n')
    assert explain.read_toml(source, "words") == {"greeting": "hello"}
    assert explain.read_toml(source, "words") == {"greeting": "hello"}


def test_values_marshal_cannot_hold_are_parsed_every_time(cache_home):
    source = _toml(cache_home / "dates.toml", "when = 1979-05-27\n")   # a TOML date: not a marshal type
    first = explain.read_toml(source, "dates")
    assert str(first["when"]) == "1979-05-27"
    assert explain.read_toml(source, "dates") == first
    assert not os.path.exists(os.path.join(prose_cache.cache_dir(), "dates.marshal"))


def test_a_relative_xdg_cache_home_is_not_used(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/dir")   # the XDG spec: relative paths are invalid, ignore them
    monkeypatch.setenv("HOME", str(tmp_path))
    assert prose_cache.cache_dir().startswith(os.path.join(str(tmp_path), ".cache", "smtp-tutor"))


def test_the_package_prose_reads_the_same_with_and_without_the_cache(cache_home):
    source = os.path.join(os.path.dirname(explain.__file__), "data", "sim.toml")
    import tomllib
    with open(source, "rb") as raw:
        parsed = tomllib.load(raw)
    assert explain.read_toml(source, "sim") == parsed     # first: parsed, cache written
    assert explain.read_toml(source, "sim") == parsed     # then: from the cache


def test_the_repl_defaults_without_arguments_are_the_parsers():
    from tutor.cli.repl import DEFAULTS, repl_parser
    assert vars(repl_parser().parse_args([])) == DEFAULTS
