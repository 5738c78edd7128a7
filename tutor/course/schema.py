"""Strict validation of one lesson file's TOML data, turning it into a Lesson; every problem is reported as
`where: what is wrong` (the loader prefixes the file name), never as a traceback."""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import Any

from tutor import escapes
from tutor.course import facts
from tutor.course.checkbase import COMMON_FAILS, HELPER, NOTHING
from tutor.course.checks import CHECKS
from tutor.course.model import LEVELS, Check, Lesson, SimSetup, Step
from tutor.errors import InputError

LESSON_ID = re.compile(r"^[0-9]{2}-[a-z0-9]+(?:-[a-z0-9]+)*$")
STEP_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TOP_KEYS = ("id", "title", "summary", "level", "minutes", "prerequisites", "simulator_only", "sim", "steps")
SIM_KEYS = ("profile", "accounts", "user", "challenge", "seed", "clock")
STEP_KEYS = ("id", "title", "say", "task", "check", "explain", "explain_live", "hints", "fail", "solution",
             "reply", "reply_live")
TEXT_KEYS = ("title", "say", "task", "explain", "explain_live")
PASS_PARAMS = ("guess",)                                                                # Pass params
FAIL_PARAMS = ("typed", "wanted", "got", "error", "mechanism", "offered", "position", "guess")   # Fail params


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")   # nothing from a file reaches a terminal raw
MAX_STEPS = 200             # a real lesson has about ten
MAX_TEXT = 20_000           # characters in one text value


class Problems:
    """Collects `where: what` lines; `found` keeps each with the index of the step being read (for its line)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.found: list[tuple[str, str, int | None]] = []
        self.step_index: int | None = None

    def add(self, where: str, what: str) -> None:
        self.lines.append(f"{where}: {what}")
        self.found.append((where, what, self.step_index))


def _unknown(table: dict, known: tuple[str, ...], where: str, out: Problems) -> None:
    for key in table:
        if key not in known:
            out.add(where, f"unknown key {key!r} (known: {', '.join(known)})")


def _text(table: dict, key: str, where: str, out: Problems, required: bool = True, extra: tuple[str, ...] = ()) -> str:
    value = table.get(key)
    if value is None:
        if required:
            out.add(where, f"{key} is missing")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        out.add(where, f"{key} must be a non-empty string")
        return ""
    if len(value) > MAX_TEXT:
        out.add(where, f"{key} is longer than {MAX_TEXT} characters")
        return ""
    _template(value, key, where, out, extra)
    return value


def _template(value: str, key: str, where: str, out: Problems, extra: tuple[str, ...] = ()) -> None:
    """Placeholders must be known template fields (tutor.course.facts.FIELDS), alone: no `{}`, no format spec
    (`{user:>999}`), no conversion (`{user!r}`); `{{` writes a brace."""
    control = CONTROL.search(value)
    if control:
        out.add(where, f"{key}: a control character (\\x{ord(control.group()):02x}) has no place in lesson text; "
                       "write it as an escape where a helper reads escapes")
        return
    try:
        names = facts.fields_in(value)
        parts = facts.placeholders(value)
    except ValueError as exc:
        out.add(where, f"{key}: bad template ({exc}); write {{{{ and }}}} for literal braces")
        return
    for name, spec, conversion in parts:
        if not name:
            out.add(where,
                    f"{key}: an empty placeholder {{}}: write a field name, e.g. {{user}}, or {{{{}}}} for braces")
        elif spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            out.add(where, f"{key}: placeholder {shown}: no format spec or conversion, write {{{name.split('.')[0]}}}")
    known = tuple(facts.FIELDS) + extra
    for name in sorted(names - set(known)):
        out.add(where, f"{key}: unknown placeholder {{{name}}} (known: {', '.join(known)})")
    for name in sorted(facts.fields_in(value, whole=True) - set(known) - names):
        out.add(where, f"{key}: placeholder {{{name}}}: write a field name alone, e.g. {{user}}")


def _strings(value: Any, key: str, where: str, out: Problems) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        out.add(where, f"{key} must be a string or a list of non-empty strings")
        return ()
    return tuple(value)


def _codes(value: Any, key: str, where: str, out: Problems) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    if not all(isinstance(v, int) and not isinstance(v, bool) and 200 <= v <= 599 for v in values):
        out.add(where, f"{key} must be a reply code (200-599) or a list of them")
        return ()
    return tuple(values)


def parse_lesson(data: dict, stem: str, path: str, out: Problems) -> Lesson:
    """The Lesson in `data`; problems go to `out` (the result is only usable when there are none)."""
    _unknown(data, TOP_KEYS, "lesson", out)
    lesson_id = data.get("id")
    if not isinstance(lesson_id, str) or not LESSON_ID.match(lesson_id):
        out.add("lesson", "id must look like NN-slug, e.g. 05-cram-md5")
    elif lesson_id != stem:
        out.add("lesson", f"id {lesson_id!r} must match the file name {stem!r}")
    level = data.get("level")
    if level not in LEVELS:
        out.add("lesson", f"level must be one of {', '.join(LEVELS)}")
    minutes = data.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        out.add("lesson", "minutes must be a whole number above 0")
    prerequisites = _strings(data.get("prerequisites", []), "prerequisites", "lesson", out) \
        if data.get("prerequisites", []) != [] else ()
    for item in prerequisites:
        if not LESSON_ID.match(item):
            out.add("lesson", f"prerequisite {item!r} is not a lesson id (NN-slug)")
    sim = parse_sim(data.get("sim", {}), out)
    steps = parse_steps(data.get("steps"), out)
    simulator_only = data.get("simulator_only", False)
    if not isinstance(simulator_only, bool):
        out.add("lesson", "simulator_only must be true or false")
        simulator_only = False
    elif not simulator_only:
        for where, name in _simulator_values(steps):
            out.add(where, f"uses {name}, which only the simulator has (its lab token): add "
                           f"`simulator_only = true` at the top of the file, so no one starts it on a live server")
    return Lesson(str(lesson_id), _text(data, "title", "lesson", out), _text(data, "summary", "lesson", out),
                  str(level), minutes if isinstance(minutes, int) else 0, prerequisites, sim, steps, path,
                  simulator_only)


def _simulator_values(steps: tuple[Step, ...]) -> list[tuple[str, str]]:
    """(step id, what) for each step that needs the simulator: a lab-token field, or a check wanting a lab token."""
    found = []
    for step in steps:
        texts = (step.say, step.task, step.explain, step.explain_live, *step.hints, *step.solution, *step.fail.values(),
                 *(v for v in step.check.params.values() if isinstance(v, str)))
        names = set()
        for text in texts:
            try:
                names |= facts.fields_in(text) & set(facts.SIM_ONLY)
            except ValueError:
                pass      # a bad template is reported where it was read
        what = ["{" + name + "}" for name in sorted(names)]
        if step.check.get("token") == "lab":
            what.append('token = "lab"')
        if what:
            found.append((step.id, ", ".join(what)))
    return found


def parse_sim(table: Any, out: Problems) -> SimSetup:
    if not isinstance(table, dict):
        out.add("sim", "sim must be a table")
        return SimSetup()
    _unknown(table, SIM_KEYS, "sim", out)
    defaults = SimSetup()
    profile = table.get("profile", defaults.profile)
    from tutor.sim.profiles import PROFILES, canonical_name
    if not isinstance(profile, str):
        out.add("sim", f"profile must be a string, one of {', '.join(PROFILES)}")
        profile = defaults.profile
    elif canonical_name(profile) not in PROFILES:
        out.add("sim", f"profile {profile!r} is unknown (known: {', '.join(PROFILES)})")
    else:
        profile = canonical_name(profile)
    accounts = _strings(table["accounts"], "accounts", "sim", out) if "accounts" in table else defaults.accounts
    for spec in accounts:
        if CONTROL.search(spec):
            out.add("sim", "accounts: a control character in an account")
            continue
        name, colon, password = spec.partition(":")
        if not colon or not name or not password or any(c.isspace() for c in name):
            out.add("sim", f"account {spec.split(':')[0]!r} must be NAME:PASSWORD")
    user = table.get("user", accounts[0].partition(":")[0] if accounts else defaults.user)
    if not isinstance(user, str):
        out.add("sim", "user must be a string, one of the accounts' names")
        user = defaults.user
    elif user not in [a.partition(":")[0] for a in accounts]:
        out.add("sim", f"user {user!r} is not one of the accounts")
    return SimSetup(str(profile), accounts, str(user), _challenge(table, out), *_seed_clock(table, out))


def _challenge(table: dict, out: Problems) -> bytes | None:
    value = table.get("challenge")
    if value is None:
        return None
    try:
        if not isinstance(value, str) or not value:
            raise InputError("it must be a non-empty string")
        return escapes.parse(value)
    except InputError as exc:
        out.add("sim", f"challenge: {exc}")
        return None


def _seed_clock(table: dict, out: Problems) -> tuple[int, float | None]:
    seed, clock = table.get("seed", 0), table.get("clock")
    if not isinstance(seed, int) or isinstance(seed, bool) or abs(seed) >= 2 ** 64:
        out.add("sim", "seed must be a whole number (below 2**64)")
        seed = 0
    if clock is not None and (not isinstance(clock, (int, float)) or isinstance(clock, bool)
                              or not 0 <= clock < 2 ** 40):    # finite: `inf` and `nan` are TOML floats too
        out.add("sim", "clock must be Unix seconds (a number, 0 or more)")
        clock = None
    return seed, clock


def parse_steps(value: Any, out: Problems) -> tuple[Step, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        out.add("lesson", "steps must be a non-empty array of tables ([[steps]])")
        return ()
    if len(value) > MAX_STEPS:
        out.add("lesson", f"steps: {len(value)} steps, more than {MAX_STEPS}")
        return ()
    steps, seen = [], set()
    for number, table in enumerate(value, 1):
        step_id = table.get("id")
        out.step_index = number - 1
        where = step_id if isinstance(step_id, str) and STEP_ID.match(step_id) else f"step {number}"
        if where == f"step {number}":
            out.add(where, "id is missing or not a slug (lower-case letters, digits and dashes)")
        elif step_id in seen:
            out.add(where, f"id {step_id!r} is used by an earlier step")
        seen.add(where)
        steps.append(parse_step(table, where, out))
    out.step_index = None
    return tuple(steps)


def parse_step(table: dict, where: str, out: Problems) -> Step:
    _unknown(table, STEP_KEYS, where, out)
    check = parse_check(table.get("check"), where, out)
    kind = CHECKS.get(check.kind)
    reading = kind is not None and kind.target == NOTHING
    texts = {key: _text(table, key, where, out, required=key in ("title", "say") or (key == "task" and not reading),
                        extra=PASS_PARAMS if key.startswith("explain") else ())
             for key in TEXT_KEYS}
    hints = _strings(table.get("hints", []), "hints", where, out) if table.get("hints", []) != [] else ()
    for hint in hints:
        _template(hint, "hints", where, out)
    solution = _solution(table, where, out, reading)
    reply, reply_live = _replies(table, where, out, kind)
    return Step(str(table.get("id", "")), texts["title"], texts["say"], texts["task"], check, texts["explain"],
                texts["explain_live"], hints, _fails(table.get("fail", {}), check.kind, where, out), solution,
                reply, reply_live)


def _solution(table: dict, where: str, out: Problems, reading: bool) -> tuple[str, ...]:
    if "solution" not in table:
        if not reading:
            out.add(where, "solution is missing (the line the demo plays)")
        return ()
    solution = _strings(table["solution"], "solution", where, out)
    if table["solution"] == [] and not reading:
        out.add(where, "solution is empty (the demo needs at least one line to play)")
    for line in solution:
        _template(line, "solution", where, out)
    return solution


def _replies(table: dict, where: str, out: Problems, kind: Any) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    reply = _codes(table["reply"], "reply", where, out) if "reply" in table else ()
    reply_live = _codes(table["reply_live"], "reply_live", where, out) if "reply_live" in table else None
    if kind is not None and kind.target in (HELPER, NOTHING) and ("reply" in table or "reply_live" in table):
        out.add(where, f"reply: a {kind.name} step gets no reply from the server")
    return reply, reply_live


def parse_check(value: Any, where: str, out: Problems) -> Check:
    if not isinstance(value, dict) or not isinstance(value.get("kind"), str):
        out.add(where, 'check must be a table with a kind, e.g. check = { kind = "any-ehlo" }')
        return Check("")
    kind = CHECKS.get(value["kind"])
    if kind is None:
        out.add(where, f"check kind {value['kind']!r} is unknown (known: {', '.join(CHECKS)})")
        return Check(value["kind"])
    params = {k: v for k, v in value.items() if k != "kind"}
    for name, given in params.items():
        param = kind.param(name)
        if param is None:
            known = ", ".join(p.name for p in kind.params) or "none"
            out.add(where, f"check {kind.name} takes no parameter {name!r} (known: {known})")
        elif (problem := param.problem(given)) is not None:
            out.add(where, f"check {kind.name}: {problem}")
        elif isinstance(given, str):
            _template(given, f"check {name}", where, out)
    for param in kind.params:
        if param.required and param.name not in params:
            out.add(where, f"check {kind.name} needs the parameter {param.name!r}")
    return Check(kind.name, MappingProxyType(params))


def _fails(table: Any, kind_name: str, where: str, out: Problems) -> MappingProxyType:
    if not isinstance(table, dict) or not all(isinstance(v, str) and v.strip() for v in table.values()):
        out.add(where, "fail must be a table of failure key = text")
        return MappingProxyType({})
    kind = CHECKS.get(kind_name)
    known = (kind.fails if kind else ()) + COMMON_FAILS
    for key, text in table.items():
        if kind is not None and key not in known:
            out.add(where, f"fail: check {kind_name} has no failure {key!r} (known: {', '.join(known)})")
        _template(text, f"fail.{key}", where, out, FAIL_PARAMS)
    return MappingProxyType(dict(table))
