"""Privacy checks (data-5): PII scan of columns and permissions of data files."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltestscore.checks import Outcome
from mltestscore.checks.privacy import (
    check_data_file_permissions,
    check_pii,
    detect,
    iban_valid,
    luhn_valid,
    mask,
)

if TYPE_CHECKING:
    import pandas as pd

CARDS = ["4111 1111 1111 1111", "5555-5555-5555-4444", "378282246310005", "6011111111111117"]


def findings(result: Any) -> dict[tuple[str, str], float]:
    return {(str(r[0]), str(r[1])): float(r[4]) for r in result.tables[0].rows}


def test_the_adult_sample_holds_no_personal_identifiers(adult: pd.DataFrame) -> None:
    result = check_pii(adult)
    assert result.outcome is Outcome.PASSED, result.summary()
    assert result.measurements["columns_scanned"] == len(adult.columns)


def test_it_flags_an_email_column_planted_in_adult(serving: pd.DataFrame) -> None:
    serving["contact"] = [f"person{i}@example.org" for i in range(len(serving))]
    result = check_pii(serving)
    assert result.outcome is Outcome.FAILED
    assert "contact (email 100.0%)" in result.reason
    assert findings(result) == {("contact", "email"): 1.0}
    examples = str(result.tables[0].rows[0][5])
    assert "@" in examples
    assert "person" not in examples
    assert "example" not in examples


def test_it_reports_the_fraction_of_free_text_values_holding_identifiers(
    serving: pd.DataFrame,
) -> None:
    notes = ["no comment"] * len(serving)
    for i in range(0, len(serving), 20):
        notes[i] = f"call me on 555-{100 + i % 900:03d}-{i:04d} after six"
    for i in range(5, len(serving), 50):
        notes[i] = "card 4111 1111 1111 1111 on file"
    serving["notes"] = notes
    result = check_pii(serving)
    found = findings(result)
    assert found[("notes", "phone")] == pytest.approx(0.05, abs=0.001)
    assert found[("notes", "payment_card")] == pytest.approx(0.02, abs=0.001)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        (["123-45-6789", "219-09-9999"], "us_ssn"),
        (CARDS, "payment_card"),
        (["192.168.0.1", "10.20.30.40"], "ipv4"),
        (["2001:db8::8a2e:370:7334", "fe80::1"], "ipv6"),
        (["GB82 WEST 1234 5698 7654 32", "DE89370400440532013000"], "iban"),
        (["+44 20 7946 0958", "(555) 123-4567"], "phone"),
    ],
)
def test_it_recognises_each_kind_of_identifier(
    serving: pd.DataFrame, values: list[str], kind: str
) -> None:
    serving["planted"] = [values[i % len(values)] for i in range(len(serving))]
    result = check_pii(serving)
    assert result.outcome is Outcome.FAILED
    assert findings(result)[("planted", kind)] == 1.0


def test_card_numbers_stored_as_integers_are_found(serving: pd.DataFrame) -> None:
    serving["card"] = 4111111111111111
    assert ("card", "payment_card") in findings(check_pii(serving))


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",
        "1700000000000",
        "000-12-3456",
        "DE89370400440532013001",
        "999.1.2.3",
        "12:30:45",
        "2020-01-01",
        "5th-6th",
        "Married-civ-spouse",
    ],
)
def test_lookalikes_that_fail_their_checksum_or_format_are_not_identifiers(text: str) -> None:
    assert detect(text) == {}


def test_a_fraction_limit_tolerates_stray_matches(serving: pd.DataFrame) -> None:
    serving["notes"] = "nothing"
    serving.loc[0, "notes"] = "ping 10.0.0.1"
    assert check_pii(serving).outcome is Outcome.FAILED
    tolerant = check_pii(serving, max_match_fraction=0.01)
    assert tolerant.outcome is Outcome.PASSED
    assert "below the 1.0% limit" in tolerant.reason


def test_sampling_is_seeded_and_recorded(serving: pd.DataFrame) -> None:
    serving["contact"] = "someone@example.org"
    result = check_pii(serving, sample_size=100, seed=3, columns=["contact", "sex"])
    assert result.parameters["sample_size"] == 100
    assert result.parameters["seed"] == 3
    assert result.measurements["values_scanned"] == 200
    assert result.measurements["columns_scanned"] == 2


@pytest.mark.parametrize(
    ("data", "kwargs", "named"),
    [
        ("empty", {}, "data"),
        ("no rows", {}, "data"),
        ([1, 2, 3], {}, "data"),
        ("frame", {"columns": ["no-such-column"]}, "no-such-column"),
        ("frame", {"sample_size": 0}, "sample_size"),
        ("/no/such/file.csv", {}, "/no/such/file.csv"),
    ],
)
def test_bad_input_to_the_pii_scan_is_an_error_naming_the_argument(
    serving: pd.DataFrame, data: Any, kwargs: dict[str, Any], named: str
) -> None:
    import pandas as pd

    frames = {"empty": pd.DataFrame(), "no rows": serving.iloc[:0], "frame": serving}
    key = data if isinstance(data, str) else ""
    result = check_pii(frames.get(key, data), **kwargs)
    assert result.outcome is Outcome.ERROR
    assert named in result.reason


def test_an_all_missing_column_scans_as_empty(serving: pd.DataFrame) -> None:
    serving["blank"] = None
    assert check_pii(serving, columns=["blank"]).ok


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 9), min_size=11, max_size=17), st.integers(0, 100), st.integers(1, 9)
)
def test_luhn_catches_every_single_digit_change(body: list[int], where: int, change: int) -> None:
    digits = "4" + "".join(map(str, body))
    check = next(d for d in "0123456789" if luhn_valid(digits + d))
    number = digits + check
    assert detect(number) == {"payment_card": number}
    position = where % len(number)
    altered = (
        number[:position] + str((int(number[position]) + change) % 10) + number[position + 1 :]
    )
    assert not luhn_valid(altered)


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 21), st.sampled_from("0123456789"))
def test_the_iban_check_catches_every_single_digit_change(where: int, new: str) -> None:
    iban = "DE89370400440532013000"
    altered = iban[:where] + new + iban[where + 1 :]
    assert iban_valid(altered) == (altered == iban)


@given(st.text(min_size=0, max_size=40))
@settings(max_examples=50, deadline=None)
def test_masking_reveals_at_most_three_letters_or_digits(text: str) -> None:
    masked = mask(text)
    assert len(masked) == len(text)
    assert sum(c.isalnum() and c != "*" for c in masked) <= 3


def _data_dir(tmp_path: Path, file_mode: int, dir_mode: int = 0o750) -> Path:
    directory = tmp_path / "data"
    directory.mkdir()
    (directory / "train.csv").write_text("a,b\n1,2\n")
    (directory / "train.csv").chmod(file_mode)
    directory.chmod(dir_mode)
    return directory


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_private_data_files_pass(tmp_path: Path) -> None:
    result = check_data_file_permissions(_data_dir(tmp_path, 0o640))
    assert result.outcome is Outcome.PASSED
    assert result.measurements["entries_checked"] == 2


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_default_umask_data_file_in_the_project_passes_and_is_counted(tmp_path: Path) -> None:
    result = check_data_file_permissions([_data_dir(tmp_path, 0o644)], project_root=tmp_path)
    assert result.outcome is Outcome.PASSED
    assert result.measurements["world_readable_files"] == 1
    assert "1 readable by others as the default umask leaves them" in result.reason


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_git_checkout_passes(tmp_path: Path) -> None:
    import shutil
    import subprocess

    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    source = tmp_path / "origin"
    source.mkdir()
    data = _data_dir(source, 0o600)
    subprocess.run([git, "init", "-q", str(source)], check=True)
    subprocess.run([git, "-C", str(source), "add", "."], check=True)
    subprocess.run(
        [git, "-C", str(source), "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "d"],
        check=True,
    )
    clone = tmp_path / "clone"
    subprocess.run([git, "clone", "-q", str(source), str(clone)], check=True)
    result = check_data_file_permissions(clone / data.name, project_root=clone)
    assert result.outcome is Outcome.PASSED, result.reason


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_world_writable_data_file_fails_and_is_named(tmp_path: Path) -> None:
    result = check_data_file_permissions([_data_dir(tmp_path, 0o666)])
    assert result.outcome is Outcome.FAILED
    assert "train.csv" in result.reason
    assert "world-writable" in result.reason
    assert result.tables[0].rows[0][1] == "-rw-rw-rw-"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("secret", [".env", "credentials.json", "service.pem", "id_rsa"])
def test_a_secret_readable_by_others_fails(tmp_path: Path, secret: str) -> None:
    directory = _data_dir(tmp_path, 0o600)
    (directory / secret).write_text("TOKEN=abc\n")
    (directory / secret).chmod(0o644)
    result = check_data_file_permissions(directory, project_root=tmp_path)
    assert result.outcome is Outcome.FAILED
    assert secret in result.reason
    assert "a secret readable by others" in result.reason
    (directory / secret).chmod(0o600)
    assert check_data_file_permissions(directory, project_root=tmp_path).ok


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_world_readable_copy_outside_the_project_fails(tmp_path: Path) -> None:
    data = _data_dir(tmp_path, 0o644)
    project = tmp_path / "project"
    project.mkdir()
    result = check_data_file_permissions(data, project_root=project)
    assert result.outcome is Outcome.FAILED
    assert "world-readable outside the project" in result.reason


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_world_writable_directory_fails(tmp_path: Path) -> None:
    result = check_data_file_permissions(_data_dir(tmp_path, 0o600, dir_mode=0o777))
    assert result.outcome is Outcome.FAILED
    assert "world-writable" in result.reason


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_group_read_can_be_forbidden(tmp_path: Path) -> None:
    directory = _data_dir(tmp_path, 0o640)
    assert check_data_file_permissions(directory).ok
    strict = check_data_file_permissions(directory, allow_group_read=False)
    assert strict.outcome is Outcome.FAILED
    assert "group-readable" in strict.reason


@pytest.mark.parametrize(
    ("paths", "named"), [([], "paths"), ("/no/such/data.csv", "/no/such/data.csv")]
)
def test_missing_data_files_are_an_error_naming_them(paths: Any, named: str) -> None:
    result = check_data_file_permissions(paths)
    assert result.outcome is Outcome.ERROR
    assert named in result.reason


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_dangling_symlink_is_reported_not_raised(tmp_path: Path) -> None:
    directory = _data_dir(tmp_path, 0o600)
    (directory / "latest.csv").symlink_to(directory / "gone.csv")
    result = check_data_file_permissions(directory)
    # Not a privacy finding: counted and named, never a failure.
    assert result.outcome is Outcome.PASSED
    assert result.measurements["entries_not_checked"] == 1
    assert "latest.csv" in result.reason


def test_columns_given_as_one_string_is_an_error(serving: pd.DataFrame) -> None:
    result = check_pii(serving, columns="sex")
    assert result.outcome is Outcome.ERROR
    assert "columns" in result.reason
