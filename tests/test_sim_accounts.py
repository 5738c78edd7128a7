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
    with pytest.raises(InputError, match="cannot read users file .*No such file"):
        Accounts.from_file(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.write_text("# nobody\n", encoding="utf-8")
    with pytest.raises(InputError, match="has no users"):
        Accounts.from_file(empty)


def test_merged_accounts():
    merged = Accounts.from_specs(["a:1"]).merged(Accounts.from_specs(["b:2"]))
    assert merged.names == ("a", "b")
