"""Cast CSV parsing: headers, Slack references, errors with their row and column."""

from __future__ import annotations

import pytest

from bot.cast.csv_format import CastRow, normalize_slack_ref, parse_cast_csv
from bot.problems import InputRejected, Problem


def problems(text: str) -> list[Problem]:
    with pytest.raises(InputRejected) as caught:
        parse_cast_csv(text)
    return caught.value.problems


def test_happy_path() -> None:
    text = (
        "\ufeffCast #,Character,Performer,Slack\n"
        "1,JANE,Jane Doe,U0123ABCD\n"
        "2,BOB,Bob Roe,bob@example.com\n"
        "\n"
        "3,,Ann Poe,@ann.poe\n"
        "#4,GUARD,Jane Doe,<@U0123ABCD>\n"
    )
    assert parse_cast_csv(text) == [
        CastRow("1", "JANE", "Jane Doe", "U0123ABCD", 2),
        CastRow("2", "BOB", "Bob Roe", "bob@example.com", 3),
        CastRow("3", "", "Ann Poe", "@ann.poe", 5),
        CastRow("4", "GUARD", "Jane Doe", "U0123ABCD", 6),
    ]


def test_semicolon_file_without_character_column() -> None:
    rows = parse_cast_csv("No.;Name;Email;Agent\n1;Jane Doe;jane@example.com;Sam\n")
    assert rows == [CastRow("1", "", "Jane Doe", "jane@example.com", 2)]


HEADER_SPELLINGS = [
    *[("number", s) for s in ("Cast #", "Cast Number", "Cast No", "Cast ID", "#", "No.")],
    *[("number", s) for s in ("Number", "ID", "cast no.", " CAST  NUMBER: ")],
    *[("character", s) for s in ("Character", "Role", "Character Name")],
    *[("performer", s) for s in ("Performer", "Actor", "Name", "Performer Name", "Actor Name")],
    ("performer", "Cast Member"),
    *[("slack", s) for s in ("Slack", "Slack ID", "Slack User", "Email", "Slack Handle")],
    *[("slack", s) for s in ("Handle", "User")],
]
BASE = {"number": "Cast #", "performer": "Performer", "slack": "Slack"}
VALUES = {"number": "7", "character": "JANE", "performer": "Jane Doe", "slack": "@jane"}


@pytest.mark.parametrize(
    ("key", "spelling"), HEADER_SPELLINGS, ids=[f"{k}:{s.strip()}" for k, s in HEADER_SPELLINGS]
)
def test_header_spelling_maps_to_its_field(key: str, spelling: str) -> None:
    headers = {**BASE, key: spelling}
    text = ",".join(headers.values()) + "\n" + ",".join(VALUES[k] for k in headers) + "\n"
    [row] = parse_cast_csv(text)
    got = {
        "number": row.cast_number,
        "character": row.character,
        "performer": row.performer_name,
        "slack": row.slack_ref,
    }
    assert got[key] == VALUES[key]


SLACK_REFS = [
    ("U0123ABCD", "U0123ABCD"),
    ("W0123ABCDEF", "W0123ABCDEF"),
    ("<@U0123ABCD>", "U0123ABCD"),
    ("<@U123ABC>", "U123ABC"),
    ("<@U0123ABCD|jane>", "U0123ABCD"),
    ("jane.doe@example.co.uk", "jane.doe@example.co.uk"),
    ("@jane", "@jane"),
    ("@jane.doe-2", "@jane.doe-2"),
]


@pytest.mark.parametrize(("text", "expected"), SLACK_REFS, ids=[t for t, _ in SLACK_REFS])
def test_slack_refs(text: str, expected: str) -> None:
    assert normalize_slack_ref(f"  {text} ") == expected


BAD_SLACK_REFS = ["jane", "U123", "u0123abcd", "@", "jane@", "jane@example", "@jane doe", "<@>"]


@pytest.mark.parametrize("text", BAD_SLACK_REFS)
def test_bad_slack_ref(text: str) -> None:
    [problem] = problems(f"Cast #,Performer,Slack ID\n1,Jane Doe,{text}\n")
    assert (problem.row, problem.column) == (2, "Slack ID")
    assert "expected a Slack user ID like U0123ABCD, an email or an @handle" in problem.message


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        (",Jane Doe,@jane", "#", "The cast number is missing."),
        ("1,,@jane", "Actor", "The performer name is missing."),
    ],
    ids=["cast-number", "performer"],
)
def test_missing_required_cell(line: str, column: str, message: str) -> None:
    [problem] = problems(f"#,Actor,Handle\n2,Bob Roe,@bob\n{line}\n")
    assert (problem.row, problem.column) == (3, column)
    assert problem.message.startswith(message)


@pytest.mark.parametrize("cell", ["", "-", "n/a", "None", "not on Slack"])
def test_someone_not_on_slack_may_leave_the_slack_account_empty(cell: str) -> None:
    rows = parse_cast_csv(
        f"#,Character,Actor,Handle\n2,Max,Bob Roe,@bob\n12,Tommy,Tom Kid,{cell}\n"
    )
    assert rows[1] == CastRow("12", "Tommy", "Tom Kid", "", 3)


@pytest.mark.parametrize("second", ["1", "01", "#1"])
def test_duplicate_cast_number_names_the_first_row(second: str) -> None:
    [problem] = problems(
        f"Cast #,Performer,Slack\n1,Jane Doe,@jane\n2,Bob Roe,@bob\n{second},Ann Poe,@ann\n"
    )
    assert (problem.row, problem.column) == (4, "Cast #")
    assert "also on row 2" in problem.message


def test_same_performer_may_have_two_cast_numbers() -> None:
    rows = parse_cast_csv("Cast #,Performer,Slack\n1,Jane Doe,@jane\n9,Jane Doe,@jane\n")
    assert [r.cast_number for r in rows] == ["1", "9"]


@pytest.mark.parametrize(
    ("header", "label", "spelling"),
    [
        ("Performer,Slack", "cast number", "Cast Number"),
        ("Cast #,Slack", "performer name", "Actor Name"),
        ("Cast #,Performer", "Slack account", "Slack Handle"),
    ],
    ids=["cast-number", "performer", "slack"],
)
def test_missing_required_column(header: str, label: str, spelling: str) -> None:
    [problem] = problems(header + "\n1,2\n")
    assert problem.row == 1
    assert f"The {label} column is missing" in problem.message and spelling in problem.message


def test_duplicate_column() -> None:
    [problem] = problems("Cast #,Name,Slack,Email\n1,Jane,@jane,jane@example.com\n")
    assert (problem.row, problem.column) == (1, "Email")


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("Cast #,Performer,Slack\n", "no cast members")],
    ids=["empty", "header-only"],
)
def test_empty_files(text: str, message: str) -> None:
    [problem] = problems(text)
    assert message in problem.message


def test_all_problems_reported_together() -> None:
    text = (
        "Cast #;Character;Performer;Slack\n"
        "1;JANE;Jane Doe;jane\n"
        ";BOB;;@bob\n"
        "1;ANN;Ann Poe;ann@example.com\n"
    )
    found = problems(text)
    assert [(p.row, p.column) for p in found] == [
        (2, "Slack"),
        (3, "Cast #"),
        (3, "Performer"),
        (4, "Cast #"),
    ]
