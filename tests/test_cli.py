"""The `closedset` command as an operator runs it: a real process, real files, real exit codes."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.crypto import Cipher, generate_key
from bot.setup import ProductionSetup
from storage.db import make_engine, make_session_factory, session_scope, upgrade
from storage.models import CastEntry, Scene
from storage.productions import save_setup
from tests.support.e2e import CAST_CSV, SCHEDULE_CSV, add_people
from tests.support.slack_standin import BOT_TOKEN, SlackStandIn

CLOSEDSET = str(Path(sys.executable).with_name("closedset"))


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}
    return subprocess.run(
        [CLOSEDSET, *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


HTTP_ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    ("env", "names"),
    [
        pytest.param({}, "SLACK_BOT_TOKEN", id="no-bot-token"),
        pytest.param({"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN", id="user-token"),
        pytest.param({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET", id="no-secret"),
        pytest.param(
            {**HTTP_ENV, "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN", id="bad-app-token"
        ),
        pytest.param({**HTTP_ENV, "SLACK_API_URL": "slack.com"}, "SLACK_API_URL", id="api-url"),
        pytest.param({**HTTP_ENV, "DATABASE_URL": "mysql://x"}, "DATABASE_URL", id="db-url"),
        pytest.param({**HTTP_ENV, "PORT": "http"}, "PORT", id="port"),
        pytest.param(
            {**HTTP_ENV, "CLOSEDSET_ENCRYPTION_KEY": "short"},
            "CLOSEDSET_ENCRYPTION_KEY",
            id="bad-key",
        ),
        pytest.param(
            {**HTTP_ENV, "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"},
            "CLOSEDSET_ENCRYPTION_KEY",
            id="postgres-needs-key",
        ),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(
    env: dict[str, str], names: str, tmp_path: Path
) -> None:
    result = run(["serve"], env, tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("closedset: ") and names in lines[0]
    assert "Traceback" not in result.stderr


def test_env_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-file\n")
    result = run(["serve"], {}, tmp_path)
    assert result.returncode == 2 and "SLACK_SIGNING_SECRET" in result.stderr


def test_keygen_prints_a_usable_key(tmp_path: Path) -> None:
    result = run(["keygen"], {}, tmp_path)
    key = result.stdout.strip()
    assert result.returncode == 0
    assert Cipher([key]).decrypt(Cipher([key]).encrypt("x")) == "x"


def test_help_on_every_level(tmp_path: Path) -> None:
    for args in ([], ["db"], ["cast"], ["schedule"], ["schedule", "import"], ["cast", "import"]):
        result = run([*args, "--help"], {}, tmp_path)
        assert result.returncode == 0 and "usage: closedset" in result.stdout


def test_db_upgrade_creates_schema(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], {"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "x.db").exists()


@pytest.fixture
def seeded(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A SQLite production 'Night Shift' with its key given in the environment."""
    key = generate_key()
    url = f"sqlite:///{tmp_path}/cs.db"
    engine = make_engine(url)
    upgrade(engine)
    from datetime import UTC, datetime, time, timedelta

    with session_scope(make_session_factory(engine, Cipher([key]))) as session:
        save_setup(
            session,
            team_id="T0TEST0001",
            production=None,
            now=datetime.now(UTC),
            setup=ProductionSetup(
                name="Night Shift",
                zone="Europe/London",
                coordinators=("U0COORD001",),
                ads=(),
                admins=(),
                ad_channel=None,
                lead=timedelta(hours=48),
                nudge=timedelta(hours=24),
                escalation=timedelta(hours=12),
                default_call=time(7),
                intimacy_category=None,
            ),
        )
    engine.dispose()
    return {"DATABASE_URL": url, "CLOSEDSET_ENCRYPTION_KEY": key}, tmp_path


def test_cast_and_schedule_import_dry_run_then_apply(
    seeded: tuple[dict[str, str], Path], standin: SlackStandIn
) -> None:
    env, cwd = seeded
    add_people(standin)
    (cwd / "cast.csv").write_text(CAST_CSV)
    (cwd / "schedule.csv").write_text(SCHEDULE_CSV)
    slack_env = {**env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": standin.api_url}

    result = run(["cast", "import", "cast.csv", "--production", "Night Shift"], slack_env, cwd)
    assert result.returncode == 0, result.stderr
    assert "3 added" in result.stdout

    dry = run(
        ["schedule", "import", "schedule.csv", "--production", "Night Shift", "--dry-run"], env, cwd
    )
    assert dry.returncode == 0, dry.stderr
    assert "3 added" in dry.stdout and "dry run" in dry.stdout
    applied = run(["schedule", "import", "schedule.csv", "--production", "Night Shift"], env, cwd)
    assert applied.returncode == 0, applied.stderr
    # The dry run and the applied import print the same change summary.
    assert dry.stdout.splitlines()[:-1] == applied.stdout.splitlines()[:-1]
    assert "Kiss" not in applied.stdout  # planned content never printed

    engine = make_engine(env["DATABASE_URL"])
    with make_session_factory(engine, Cipher([env["CLOSEDSET_ENCRYPTION_KEY"]]))() as session:
        assert len(list(session.scalars(select(Scene)))) == 3
        assert len(list(session.scalars(select(CastEntry)))) == 3
    engine.dispose()

    shown = run(["schedule", "show", "--production", "Night Shift", "--all"], env, cwd)
    assert shown.returncode == 0 and "42A" in shown.stdout and "INT. BEDROOM" in shown.stdout


def test_bad_schedule_file_exits_1_listing_problems(seeded: tuple[dict[str, str], Path]) -> None:
    env, cwd = seeded
    (cwd / "bad.csv").write_text("Scene,Date\n1,2026-02-30\n,2026-03-01\n")
    result = run(["schedule", "import", "bad.csv", "--production", "Night Shift"], env, cwd)
    assert result.returncode == 1
    assert "Row 2" in result.stderr and "Row 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_production_and_missing_file(seeded: tuple[dict[str, str], Path]) -> None:
    env, cwd = seeded
    result = run(["schedule", "show", "--production", "Nope"], env, cwd)
    assert result.returncode == 1 and "no production called 'Nope'" in result.stderr
    result = run(["schedule", "import", "missing.csv", "--production", "Night Shift"], env, cwd)
    assert result.returncode == 1 and "cannot read missing.csv" in result.stderr


def test_sqlite_key_file_is_created_owner_only(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/k.db"}
    result = run(["schedule", "show", "--production", "X"], env, tmp_path)
    key_file = tmp_path / "k.db.key"
    assert key_file.exists() and "created encryption key file" in result.stderr
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = run(["schedule", "show", "--production", "X"], env, tmp_path)
    assert "created encryption key file" not in again.stderr


def test_reencrypt_moves_data_to_the_newest_key(seeded: tuple[dict[str, str], Path]) -> None:
    env, cwd = seeded
    (cwd / "s.csv").write_text("Scene,Date,Intimacy,Intimacy Notes\n1,2030-03-10,yes,Kiss\n")
    assert (
        run(["schedule", "import", "s.csv", "--production", "Night Shift"], env, cwd).returncode
        == 0
    )
    old = env["CLOSEDSET_ENCRYPTION_KEY"]
    new = generate_key()
    rotated = {**env, "CLOSEDSET_ENCRYPTION_KEY": f"{new},{old}"}
    result = run(["db", "reencrypt"], rotated, cwd)
    assert result.returncode == 0 and "re-encrypted 1 value" in result.stdout, result.stderr
    # The old key can now be dropped.
    engine = make_engine(env["DATABASE_URL"])
    with make_session_factory(engine, Cipher([new]))() as session:
        from storage.secrets import unseal

        scene = session.scalar(select(Scene))
        assert scene is not None and unseal(session, scene.planned_content_ct) == "Kiss"
    engine.dispose()


FIXTURES = Path(__file__).parent / "fixtures"


def test_xlsx_schedule_import_as_json_then_show_as_json(
    seeded: tuple[dict[str, str], Path],
) -> None:
    """A workbook straight from Excel, checked by a script before and after it is applied:
    scene 14 is intimacy undecided and after midnight; its cast numbers are not on the (empty)
    cast list, which does not refuse the file but is listed."""
    import json

    env, cwd = seeded
    (cwd / "one-liner.xlsx").write_bytes((FIXTURES / "xlsx" / "one_liner.xlsx").read_bytes())
    args = ["schedule", "import", "one-liner.xlsx", "--production", "Night Shift"]
    dry = run([*args, "--dry-run", "--format", "json"], env, cwd)
    assert dry.returncode == 0, dry.stderr
    preview = json.loads(dry.stdout)  # the whole of stdout is one JSON object
    assert preview["applied"] is False and preview["format"] == "xlsx"
    assert preview["counts"]["added"] == 5
    scene = {s["number"]: s for s in preview["scenes"]}["14"]
    assert scene["change"] == "added" and scene["intimacy"] == "undecided"
    assert scene["start"] == "2027-01-12T01:30:00+00:00" and scene["after_midnight"] is True
    assert scene["start_text"] == "Tue 12 Jan 2027 01:30, after midnight"
    assert scene["estimated"] is False and scene["set"] == "LENA'S FLAT - KITCHEN"
    assert scene["cast"] == ["1", "2", "5"]
    assert [c["cast_number"] for c in scene["cannot_be_asked"]] == ["1", "2", "5"]
    assert any("Intimacy undecided in scene(s) 14" in w for w in preview["warnings"])
    assert any("Read the sheet 'One-Liner'" in w for w in preview["warnings"])

    applied = run([*args, "--format", "json"], env, cwd)
    assert applied.returncode == 0 and json.loads(applied.stdout)["applied"] is True
    shown = run(
        ["schedule", "show", "--production", "Night Shift", "--all", "--format", "json"], env, cwd
    )
    stored = {s["number"]: s for s in json.loads(shown.stdout)["scenes"]}
    assert stored["14"]["intimacy"] == "undecided" and stored["14"]["working_day"] == "2027-01-11"
    assert stored["14"]["start"] == "2027-01-12T01:30:00+00:00"
    assert stored["14"]["cannot_be_asked"][0] == {
        "cast_number": "1",
        "why": "is not on the cast list",
        "confirmed_in_person": False,
    }
    text = run(["schedule", "show", "--production", "Night Shift", "--all"], env, cwd).stdout
    assert "Tue 12 Jan 2027 01:30, after midnight" in text and "intimacy undecided" in text


def test_date_order_on_the_command_line(seeded: tuple[dict[str, str], Path]) -> None:
    import json

    env, cwd = seeded
    (cwd / "s.csv").write_text("Scene,Date,Time\n1,03/04/2030,09:00\n2,05/04/2030,10:00\n")
    base = ["schedule", "import", "s.csv", "--production", "Night Shift", "--dry-run"]
    starts = {}
    for order in ("dmy", "mdy"):
        result = run([*base, "--date-order", order, "--format", "json"], env, cwd)
        assert result.returncode == 0, result.stderr
        starts[order] = json.loads(result.stdout)["scenes"][0]["start"][:10]
    assert starts == {"dmy": "2030-04-03", "mdy": "2030-03-04"}
    # Without --date-order, a London production reads day first (and says so).
    default = run(base, env, cwd)
    assert "Wed 03 Apr 2030 09:00" in default.stdout
    assert "day-first" in default.stdout


@pytest.mark.parametrize(
    ("name", "data"),
    [
        pytest.param("schedule.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", id="pdf"),
        pytest.param("broken.xlsx", b"PK\x03\x04" + b"\x00" * 64, id="broken-xlsx"),
    ],
)
def test_a_bad_file_prints_problems_never_a_traceback(
    seeded: tuple[dict[str, str], Path], name: str, data: bytes
) -> None:
    import json

    env, cwd = seeded
    (cwd / name).write_bytes(data)
    args = ["schedule", "import", name, "--production", "Night Shift", "--format", "json"]
    result = run(args, env, cwd)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "nothing was changed" in result.stderr
    problems = json.loads(result.stdout)["problems"]
    assert problems and all(p["message"] for p in problems)
