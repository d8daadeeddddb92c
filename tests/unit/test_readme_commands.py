"""README.md and ARCHITECTURE.md describe what exists: every command they show parses, every
``make`` target exists, every ``dagster_lineage`` module or name they cite imports.

Each ``dagster-lineage ...`` line of a README code block is parsed by the CLI's own parser (an
unknown command or flag fails there, as it would for a user); the commands that need a code
location run for real in the integration tests (tests/integration/cli, tests/integration/example).
"""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import pytest

from dagster_lineage.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
ARCHITECTURE = (ROOT / "ARCHITECTURE.md").read_text()


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)


def _cli_lines() -> list[str]:
    out = []
    for block in _code_blocks(README):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = line.split("  #")[0].split(" # ")[0].strip()
            m = re.search(r"(?:^|\s|/)dagster-lineage\s+(.*)$", line)
            if m and not line.startswith(("-", "!")):
                out.append(m.group(1).split(" > ")[0].split(" || ")[0].strip())
    return out


CLI_LINES = _cli_lines()


def test_the_readme_shows_cli_commands() -> None:
    assert len(CLI_LINES) >= 15
    assert {line.split()[0] for line in CLI_LINES} >= {"graph", "impact", "diff", "snapshot"}


@pytest.mark.parametrize("line", CLI_LINES)
def test_every_readme_cli_command_parses(line: str) -> None:
    args = build_parser().parse_args(shlex.split(line))  # SystemExit on an unknown command/flag
    assert callable(args.func)


def test_every_make_target_the_readme_names_exists() -> None:
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    shown = set(re.findall(r"\bmake ([a-z][a-z-]*)", README))
    assert shown and shown <= targets, shown - targets


@pytest.mark.parametrize("doc", ["README.md", "ARCHITECTURE.md"])
def test_every_cited_module_and_command_exists(doc: str) -> None:
    text = README if doc == "README.md" else ARCHITECTURE
    for dotted in sorted(set(re.findall(r"\bdagster_lineage(?:\.[a-z_]+)+", text))):
        parts = dotted.split(".")
        # the longest importable prefix, then attributes
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except ImportError:
                continue
            for attr in parts[i:]:
                assert hasattr(obj, attr), f"{doc} cites {dotted}, which does not exist"
                obj = getattr(obj, attr)
            break
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    inline = [span for line in text.splitlines() for span in line.split("`")[1::2]]
    code = "\n".join(_code_blocks(text)) + "\n" + "\n".join(inline)
    named = set(re.findall(r"dagster-lineage ([a-z]+)", code))
    # ARCHITECTURE's diagram lists the commands as `dagster-lineage a | b | c`, over two lines
    for line in _code_blocks(text)[0].splitlines() if doc == "ARCHITECTURE.md" else ():
        if "|" in line:
            named.update(re.findall(r"\|\s*([a-z]+)", line))
    assert named, f"{doc} names no command"
    missing = named - commands
    assert not missing, f"{doc} names commands that do not exist: {sorted(missing)}"
