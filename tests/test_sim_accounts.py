"""Accounts: built-in users, --user specs and users files, with one-line errors that name the line."""

import pytest

from tutor.errors import InputError
from tutor.sim import Accounts


def test_default_accounts_are_rfc2195_tim_and_demo():
    accounts = Accounts.default()
    assert accounts.lookup("tim") == "tanstaaftanstaaf" and accounts.lookup("demo") == "demo"
    assert accounts.lookup("Tim") is None and accounts.lookup("nobody") is None
    assert Accounts().names == ("tim", "demo")


def test_specs_replace_the_defaults_and_passwords_may_hold_colons():
    accounts = Accounts.from_specs(["alice:wonder:land", "bob:x"])
    assert accounts.names == ("alice", "bob") and accounts.lookup("alice") == "wonder:land"
    assert accounts.lookup("tim") is None


def test_repr_never_shows_a_password():
    assert "tanstaaf" not in repr(Accounts.default())


@pytest.mark.parametrize("spec,message", [
    ("alice", "--user (no ':' in it): expected NAME:PASSWORD"),
    (":pw", "--user :***: the user name must be non-empty and have no spaces"),
    ("al ice:pw", "--user al ice:***: the user name must be non-empty and have no spaces"),
    ("alice:", "--user alice:***: the password must not be empty"),
])
def test_bad_specs_are_one_line_errors_without_the_password(spec, message):
    with pytest.raises(InputError) as info:
        Accounts.from_specs([spec])
    assert str(info.value) == message


def test_the_same_user_twice_is_an_error():
    with pytest.raises(InputError, match="given twice"):
        Accounts.from_specs(["a:1", "a:2"])


def test_users_file_with_comments_and_blank_lines(tmp_path):
    path = tmp_path / "users"
    path.write_text("# lab users\n\nalice:secret\nbob:pa ss\n", encoding="utf-8")
    accounts = Accounts.from_file(path)
    assert accounts.names == ("alice", "bob") and accounts.lookup("bob") == "pa ss"


def test_users_file_errors_name_the_line(tmp_path):
    path = tmp_path / "users"
    path.write_text("alice:secret\n\nbroken line\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        Accounts.from_file(path)
    assert str(info.value) == f"users file {path} line 3: expected NAME:PASSWORD or NAME,PASSWORD[,NOTE]"


def test_unreadable_or_empty_users_file(tmp_path):
    with pytest.raises(InputError, match=r"cannot read users file .*No such file"):
        Accounts.from_file(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.write_text("# nobody\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no users"):
        Accounts.from_file(empty)


def test_merged_accounts():
    merged = Accounts.from_specs(["a:1"]).merged(Accounts.from_specs(["b:2"]))
    assert merged.names == ("a", "b")


# ---- issue 13 / 16: CSV users files, a size cap, class accounts -----------------------------------------------

def test_users_file_reads_csv_with_header_notes_and_quoted_passwords(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text('name,password,note\nann,"pa,ss",front row\nbob,b:c\ncid:x,y\n', encoding="utf-8")
    accounts = Accounts.from_file(path)
    assert accounts.names == ("ann", "bob", "cid")
    assert accounts.lookup("ann") == "pa,ss" and accounts.note_for("ann") == "front row"
    assert accounts.lookup("bob") == "b:c"       # the comma comes first: CSV, the colon is the password's
    assert accounts.lookup("cid") == "x,y"       # the colon comes first: name:password


@pytest.mark.parametrize("line,message", [
    ("ann,pw,note,extra", "expected NAME,PASSWORD[,NOTE] (found 4 fields)"),
    ('ann,"pw', "not valid CSV (check the quotes)"),
    ("ann,", "the password must not be empty"),
    ("a n,pw", "the user name must be non-empty and have no spaces"),
])
def test_bad_csv_lines_are_one_line_errors_naming_the_line(tmp_path, line, message):
    path = tmp_path / "class.csv"
    path.write_text("ok,fine\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        Accounts.from_file(path)
    assert str(info.value) == f"users file {path} line 2: {message}"


def test_users_file_from_dev_zero_stops_at_the_cap():
    with pytest.raises(InputError) as info:
        Accounts.from_file("/dev/zero")
    assert str(info.value) == ("users file /dev/zero is over 1024 KiB: expected a short list of name:password "
                               "or name,password[,note] lines")


def test_users_file_just_over_the_cap_is_refused_and_at_the_cap_is_read(tmp_path):
    from tutor.sim.account_files import USERS_FILE_LIMIT

    line = "a:" + "p" * 98 + "\n"                       # 101 octets
    at_cap = tmp_path / "at"
    at_cap.write_text(line + "#" * (USERS_FILE_LIMIT - len(line) - 1) + "\n", encoding="utf-8")
    assert Accounts.from_file(at_cap).names == ("a",)
    over = tmp_path / "over"
    over.write_text(line + "#" * (USERS_FILE_LIMIT - len(line)) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="is over 1024 KiB"):
        Accounts.from_file(over)


def test_class_accounts_have_pronounceable_unique_passwords_in_a_0600_file(tmp_path):
    import csv
    import re
    import stat

    from tutor.sim.account_files import make_class_file

    path = tmp_path / "class.csv"
    made = make_class_file(30, path)
    assert [name for name, _ in made] == [f"student{n:02d}" for n in range(1, 31)]
    assert all(re.fullmatch(r"([bdfghjklmnprstvz][aeiou]){4}[0-9]{2}", password) for _, password in made)
    assert len({password for _, password in made}) > 25
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["name", "password", "note"] and [tuple(r[:2]) for r in rows[1:]] == made
    assert Accounts.from_file(path).lookup("student07") == dict(made)["student07"]


def test_class_file_is_never_overwritten_and_counts_are_bounded(tmp_path):
    from tutor.sim.account_files import make_class_file

    path = tmp_path / "class.csv"
    path.write_text("keep me\n", encoding="utf-8")
    with pytest.raises(InputError, match="already exists"):
        make_class_file(3, path)
    assert path.read_text(encoding="utf-8") == "keep me\n"
    for count in (0, 1001):
        with pytest.raises(InputError, match="use 1 to 1000"):
            make_class_file(count, tmp_path / f"n{count}.csv")


def test_a_spreadsheet_csv_with_a_bom_crlf_and_a_quoted_header(tmp_path):
    path = tmp_path / "class.csv"
    path.write_bytes(b'\xef\xbb\xbf"name","password","note"\r\n"ann","apple pie",""\r\n')
    accounts = Accounts.from_file(path)
    assert accounts.names == ("ann",) and accounts.lookup("ann") == "apple pie"
