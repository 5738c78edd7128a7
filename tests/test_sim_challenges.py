"""CRAM-MD5 challenge factories: RFC 2195 §2 form from injectable rng and clock, fixed, glitchy."""

import random
import re

import pytest

from tutor.sim import challenges


def test_fresh_challenges_have_the_rfc2195_form_and_use_the_clock():
    make = challenges.factory("random", rng=random.Random(1), clock=lambda: 697170952.0, host="postoffice.example")
    first, second = make(), make()
    assert re.fullmatch(rb"<\d{4,10}\.697170952@postoffice\.example>", first)
    assert first != second


def test_a_seeded_rng_replays():
    def run():
        make = challenges.factory("random", rng=random.Random(42), clock=lambda: 1.0, host="h.example")
        return [make() for _ in range(3)]
    assert run() == run()


def test_fixed_is_rfc2195s_example():
    make = challenges.factory("fixed", rng=random.Random(), clock=lambda: 0.0, host="ignored.example")
    assert make() == make() == b"<1896.697170952@postoffice.reston.mci.net>"


def test_glitchy_inserts_the_articles_bytes_before_the_bracket():
    make = challenges.factory("glitchy", rng=random.Random(), clock=lambda: 0.0, host="h",
                              fixed=b"<23891.1015983493@pioneer.host-serve.net>")
    assert make() == b"<23891.1015983493@pioneer.host-serve.net\nZ\x02>"


def test_a_pinned_challenge_wins_for_any_kind():
    make = challenges.factory("random", rng=random.Random(), clock=lambda: 0.0, host="h", fixed=b"<1.2@x>")
    assert make() == b"<1.2@x>"


def test_unknown_kind():
    with pytest.raises(ValueError):
        challenges.factory("weird", rng=random.Random(), clock=lambda: 0.0, host="h")
