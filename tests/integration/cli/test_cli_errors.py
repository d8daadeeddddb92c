"""Every CLI error path ends in one line naming the cause and the fix, exit 2 (never 1, never a
traceback), with stdout valid JSON under ``--format json`` (issue 16)."""

from __future__ import annotations

import json
import textwrap
import unicodedata
from pathlib import Path

import pytest

from tests.cli_runner import CliResult, run_cli

GOOD = textwrap.dedent(
    """
    import dagster as dg
    print("hello from the code location")  # stdout noise on import
    defs = dg.Definitions(assets=[
        dg.AssetSpec(["a", "b", "c"]), dg.AssetSpec(["other", "c"]), dg.AssetSpec("café"),
        dg.AssetSpec("x", deps=[["other", "c"]]),
    ])
    """
)

BROKEN = {
    "raises": ("import dagster as dg\nraise ValueError('no warehouse configured')\n", "ValueError"),
    "syntax": ("import dagster as dg\ndefs = dg.Definitions(assets=[\n", "syntax error"),
    "resource": (
        textwrap.dedent(
            """
            import dagster as dg
            @dg.asset(required_resource_keys={"warehouse"})
            def a(): ...
            defs = dg.Definitions(assets=[a])
            """
        ),
        "resource with key 'warehouse'",
    ),
    # dbt not on PATH: pydantic's first line ("1 validation error for DbtCliResource") hid the
    # cause, and the hint said a resource was missing (issue 22)
    "dbt_missing": (
        textwrap.dedent(
            """
            import dagster as dg
            from dagster_dbt import DbtCliResource
            dbt = DbtCliResource(project_dir=".", dbt_executable="/nonexistent/bin/dbt")
            defs = dg.Definitions(assets=[], resources={"dbt": dbt})
            """
        ),
        "dbt_executable: Value error, The dbt executable '/nonexistent/bin/dbt' was not found",
    ),
}


def cli(cwd: Path, *args: str, home: Path | None = None, subprocess: bool = False) -> CliResult:
    env = {"DAGSTER_HOME": str(home)} if home is not None else None
    return run_cli(*args, cwd=cwd, env=env, subprocess=subprocess)


def one_error_line(p: CliResult) -> str:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    errors = [line for line in p.stderr.splitlines() if "dagster-lineage: error:" in line]
    assert len(errors) == 1, p.stderr
    return errors[0]


@pytest.fixture
def loc(tmp_path: Path) -> Path:
    (tmp_path / "good.py").write_text(GOOD)
    for name, (code, _) in BROKEN.items():
        (tmp_path / f"{name}.py").write_text(code)
    return tmp_path


@pytest.mark.parametrize("command", ["graph", "changed"])
@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_code_location_is_one_line_exit_2(
    loc: Path, command: str, name: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    args = ["--list"] if command == "graph" else ["--exit-code"]
    line = one_error_line(cli(loc, command, *args, "-f", f"{name}.py", home=home))
    assert BROKEN[name][1] in line
    assert "Fix" in line
    if name != "resource":  # the missing-resource hint only where a resource is missing
        assert "missing resource" not in line


@pytest.mark.parametrize("subprocess", [False, True], ids=["in_process", "subprocess"])
def test_syntax_error_names_file_and_line(loc: Path, subprocess: bool) -> None:
    line = one_error_line(cli(loc, "graph", "--list", "-f", "syntax.py", subprocess=subprocess))
    assert "syntax.py:2" in line


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [("storage:\n  sqlite: [\n", "ParserError"), ("storage:\n  nosuch: 1\n", "nosuch")],
)
def test_malformed_dagster_yaml(loc: Path, tmp_path: Path, yaml_text: str, expected: str) -> None:
    home = tmp_path / "bad_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(yaml_text)
    line = one_error_line(cli(loc, "changed", "--exit-code", "-f", "good.py", home=home))
    assert expected in line and "dagster.yaml" in line


def test_corrupt_sqlite_event_log(loc: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    first = cli(loc, "changed", "--format", "json", "-f", "good.py", home=home)
    assert first.returncode == 0, first.stderr
    dbs = list(home.rglob("*.db"))
    assert dbs
    for db in dbs:
        db.write_bytes(b"this is not a database file, it was overwritten" * 20)
    line = one_error_line(cli(loc, "changed", "--exit-code", "-f", "good.py", home=home))
    assert "corrupt" in line and "not a database" in line


def test_json_stdout_is_valid_when_the_location_prints(loc: Path, tmp_path: Path) -> None:
    p = cli(loc, "graph", "--list", "--format", "json", "-f", "good.py")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == ["a/b/c", "café", "other/c", "x"]
    assert "hello from the code location" in p.stderr
    home = tmp_path / "home"
    home.mkdir()
    p = cli(loc, "changed", "--format", "json", "-f", "good.py", home=home)
    assert p.returncode == 0, p.stderr
    assert isinstance(json.loads(p.stdout), list)


def test_names(loc: Path) -> None:
    line = one_error_line(cli(loc, "graph", "c", "-f", "good.py"))
    assert "ambiguous: a/b/c, other/c" in line and "Unknown asset" not in line
    nfd = unicodedata.normalize("NFD", "café")
    assert nfd != "café"
    p = cli(loc, "graph", nfd, "-f", "good.py")
    assert p.returncode == 0, p.stderr
    assert "café" in p.stdout
    line = one_error_line(cli(loc, "graph", "x" * 100_000, "-f", "good.py"))
    assert len(line) < 400 and "(100000 characters)" in line
    line = one_error_line(cli(loc, "graph", "", "-f", "good.py"))
    assert "empty" in line
    p = cli(loc, "graph", "x", "--depth", "-1", "-f", "good.py")
    assert p.returncode == 2 and "must be 0 or more" in p.stderr and "Traceback" not in p.stderr


def test_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "cyc.py").write_text(
        "import dagster as dg\n"
        "defs = dg.Definitions(assets=[dg.AssetSpec('a', deps=['b']), dg.AssetSpec('b', "
        "deps=['a']), dg.AssetSpec('c', deps=['a'])])\n"
    )
    for args in (["graph", "a"], ["impact", "c", "--drop-table"]):
        p = cli(tmp_path, *args, "-f", "cyc.py")
        assert "the lineage graph has a cycle: a -> b -> a" in p.stderr, p.stderr
        assert "Traceback" not in p.stderr
