"""`budgetkg check` driven through click's CliRunner: exit codes, messages, formats."""

import json
import shutil

from budgetkg.cli import cli
from budgetkg.resources import default_document
from click.testing import CliRunner


def run(*args):
    return CliRunner().invoke(cli, list(args))


def test_check_bundled_document():
    result = run("check")
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("guangzhou-hrss-2024-budget.txt: identities ")
    assert "0 broken" in first and "lines accounted for 933/933" in first
    assert "rounding" in result.output and "name differences" in result.output


def test_check_json():
    result = run("check", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data[0]["department"] == "广州市人力资源和社会保障局"
    assert data[0]["summary"]["broken"] == 0
    ident = next(i for i in data[0]["identities"] if i["id"] == "cross/5-6/basic")
    assert ident["status"] == "exact" and ident["total"]["line"] == 336


def test_check_broken_identity_exits_1(tmp_path, seed_lines):
    lines = list(seed_lines)
    lines[421 - 1] = "[30201]办公费\t650.24"
    doc = tmp_path / "changed.txt"
    doc.write_text("\n".join(lines), encoding="utf-8")
    result = run("check", str(doc))
    assert result.exit_code == 1
    assert "broken" in result.output and "line 420" in result.output


def test_check_lists_codes_the_code_lists_lack(tmp_path, seed_lines):
    lines = list(seed_lines)
    assert lines[143 - 1].startswith("2080101\t行政运行\t13,170.56")  # 表2
    lines[143 - 1] = lines[143 - 1].replace("2080101", "2080177", 1)
    doc = tmp_path / "new-code.txt"
    doc.write_text("\n".join(lines), encoding="utf-8")
    text = run("check", str(doc))
    assert "new-code.txt:143: 表2 functional 2080177 行政运行 (not in functional-2024)" in text.output
    data = json.loads(run("check", "--format", "json", str(doc)).stdout)
    assert data[0]["codes_not_in_lists"] == [
        {"scheme": "functional", "list_year": 2024, "code": "2080177", "label": "行政运行", "table": 2, "line": 143}
    ]
    assert json.loads(run("check", "--format", "json").stdout)[0]["codes_not_in_lists"] == []


def test_check_unreadable_exits_2(tmp_path):
    bad = tmp_path / "empty.txt"
    bad.write_bytes(b"")
    result = run("check", str(bad))
    assert result.exit_code == 2
    assert "empty.txt:1:1: error[empty-document]" in result.output


def test_check_json_names_the_documents_it_could_not_read(tmp_path):
    shutil.copy(str(default_document()), tmp_path / "a.txt")
    (tmp_path / "b.txt").write_text("广州市某局2024年部门预算\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--format", "json", str(tmp_path)])
    assert result.exit_code == 2
    good, bad = json.loads(result.stdout)
    assert good["file"] == "a.txt" and good["summary"]["broken"] == 0
    assert bad["file"] == "b.txt" and "identities" not in bad
    assert bad["error"]["code"] == "not-a-budget" and bad["error"]["lineno"] == 1
    assert bad["error"]["message"].startswith("b.txt:1:")


def test_check_of_a_folder_without_documents_is_an_error(tmp_path):
    (tmp_path / "notes.md").write_text("not a document")  # a file of no form budgetkg reads
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path}: no documents (*.pdf, *.xlsx, *.xls, *.html, *.htm, *.txt) in this folder" in result.output
    assert "identities" not in result.output  # not the bundled document instead


def test_check_directory_reads_every_document(tmp_path):
    shutil.copy(str(default_document()), tmp_path / "a.txt")
    shutil.copy(str(default_document()), tmp_path / "b.txt")
    result = run("check", str(tmp_path))
    assert result.exit_code == 0
    assert result.output.count("identities ") == 2


def test_help_lists_exit_codes():
    result = run("check", "--help")
    assert result.exit_code == 0
    assert "Exit 0" in result.output and "1 when some" in result.output and "2 when some input" in result.output
