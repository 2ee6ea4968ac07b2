"""Documentation stays true: generated blocks current, every command documented and helpful."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from budgetkg.cli import cli
from budgetkg.errors import catalogue
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
# Every file with generated (cog) blocks: the README, the ontology's, and the site's pages that have some.
DOCS = ["README.md", "ontology/README.md"] + sorted(
    f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md") if "[[[cog" in page.read_text("utf-8")
)


def test_generated_docs_are_current():
    if not (ROOT / "README.md").exists():
        pytest.skip("the documentation is not beside the tests (installed package only)")
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", *DOCS], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr + "\nrun: cog -r " + " ".join(DOCS)


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_and_is_documented(name):
    command = cli.commands[name]
    assert command.help and len(command.help) > 40
    for param in command.params:
        if getattr(param, "help", None) is None and param.param_type_name == "option":
            pytest.fail(f"{name} {param.name} has no help")
    # the command line page shows every command's --help (cog keeps it current)
    assert f"Usage: budgetkg {name} " in (ROOT / "docs" / "cli.md").read_text("utf-8")
    assert CliRunner().invoke(cli, [name, "--help"]).exit_code == 0


def test_every_error_code_is_documented():
    text = (ROOT / "docs/errors.md").read_text("utf-8")
    for code in catalogue():
        assert f"`{code}`" in text


def test_quick_start_is_two_commands():
    text = (ROOT / "README.md").read_text("utf-8")
    block = text.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [line for line in block.strip().splitlines() if line.strip()]
    assert lines == ["pip install . && budgetkg build", 'pip install ".[test]" && python -m pytest']


def build_site(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's notice about its successor, not a warning
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_the_site_builds_without_a_warning(tmp_path):
    """`mkdocs build --strict`: a broken link or anchor, or a page outside the navigation, fails it
    (the second build shows that a broken link does)."""
    pytest.importorskip("mkdocs")
    if not (ROOT / "mkdocs.yml").exists():
        pytest.skip("the documentation is not beside the tests (installed package only)")
    result = build_site(ROOT, tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "tables" / "index.html").exists()
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    with (copy / "docs" / "tutorial.md").open("a", encoding="utf-8") as page:
        page.write("\nSee [the missing page](no-such-page.md).\n")
    broken = build_site(copy, tmp_path / "broken")
    assert broken.returncode != 0 and "no-such-page.md" in broken.stderr
