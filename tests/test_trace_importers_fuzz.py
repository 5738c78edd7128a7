"""A bounded, repeatable fuzz of the client and server log fixtures: 400 mutations (fixed seed), each read by
the detected importer or one forced at random; nothing but a one-line InputError may come out."""

import random
from pathlib import Path

from tutor.errors import InputError
from tutor.trace.importers.detect import FORMATS
from tutor.trace.pipeline import trace_bytes

DATA = Path(__file__).parent / "data"


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(out) or 1)
        roll = rng.random()
        if roll < 0.4:
            out[at:at + 1] = bytes([rng.randrange(256)])
        elif roll < 0.6:
            del out[at:at + rng.randint(1, 300)]
        elif roll < 0.8:
            out[at:at] = rng.choice([b"\t", b"#011", b"\r", b"\n", b"334 ", b"AUTH PLAIN ", b"(given password: ",
                                     b"resp=", b"\x1b]0;x\x07", b"220 ", b"221 ", b"QUIT", b"/* secret */"])
        else:
            dup = out[at:at + rng.randint(1, 400)]
            out[at:at] = dup
    return bytes(out)


def test_mutated_client_and_log_fixtures_never_raise():
    rng = random.Random(2026)
    seeds = [p.read_bytes() for folder in ("clients", "logs") for p in sorted((DATA / folder).iterdir())
             if p.is_file() and p.suffix in (".txt", ".log")]
    formats = [None, *sorted(FORMATS)]
    read = 0
    for _ in range(400):
        try:
            reports = trace_bytes(mutate(rng, rng.choice(seeds)), "fuzz", fmt=rng.choice(formats))
        except InputError:
            continue
        read += 1
        for report in reports:
            assert report.id and isinstance(report.attempts, list)
    assert read > 300                       # most mutations are still read as something
