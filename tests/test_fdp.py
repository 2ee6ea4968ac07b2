"""The Fiscal Data Package: valid for frictionless (offline), FDP 1.0 ColumnTypes, and sums that are the document's."""

from __future__ import annotations

import csv
import json
import re
import shutil
import socket
from decimal import Decimal
from pathlib import Path

import pytest
from budgetkg.publish.fdp import write_fdp

# The FDP 1.0 budget taxonomy (specs/fiscal-data-package--budgets, 1.0rc1), written from the
# specification: name → (dataType, unique).  `{n}` stands for the levels it lists.
_LEVELLED = {
    "functional-classification:generic:level{n}": 8,
    "economic-classification:gfsm:level{n}": 4,
    "economic-classification:generic:level{n}": 4,
    "administrative-classification:generic:level{n}": 8,
    "fin-source:generic:level{n}": 3,
}
_PLAIN = {
    "value": ("number", False),
    "value-kind:code": ("string", True),
    "value-kind:label": ("string", False),
    "value-currency:code": ("string", True),
    "value-currency:label": ("string", False),
    "date:fiscal-year": ("integer", True),
    "date:fiscal:activity-approval": ("date", True),
    "date:fiscal:activity-end": ("date", True),
    "date:fiscal:activity-start": ("date", True),
    "date:fiscal:final-payment": ("date", True),
    "date:fiscal:first-payment": ("date", True),
    "date:generic": ("date", True),
    "budget-line-id": ("string", True),
    "budgetary-transfers": ("string", False),
    "direction": ("string", True),
    "phase:id": ("string", True),
    "phase:label": ("string", False),
    "expenditure-type:code": ("string", True),
    "expenditure-type:label": ("string", False),
    "fin-source:generic:code": ("string", True),
    "fin-source:generic:label": ("string", False),
}
for _kind in (
    "functional-classification:generic",
    "economic-classification:generic",
    "administrative-classification:generic",
):
    _PLAIN |= {f"{_kind}:code": ("string", True), f"{_kind}:description": ("string", False)}
    _PLAIN |= {f"{_kind}:label": ("string", False)}
for _thing in ("contract", "program", "project", "subprogram", "subproject"):
    _PLAIN |= {
        f"activity:generic:{_thing}:code": ("string", True),
        f"activity:generic:{_thing}:label": ("string", False),
    }
for _stem, _levels in _LEVELLED.items():
    for _n in range(1, _levels + 1):
        _base = _stem.format(n=_n)
        _PLAIN |= {f"{_base}:code": ("string", True), f"{_base}:label": ("string", False)}
        if not _stem.startswith("fin-source"):
            _PLAIN[f"{_base}:description"] = ("string", False)
TAXONOMY = _PLAIN
AMOUNT_TEXT = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@pytest.fixture(scope="module")
def package(store, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fdp")
    write_fdp(store, folder)
    return folder


def _descriptor(folder: Path) -> dict:
    return json.loads((folder / "datapackage.json").read_text("utf-8"))


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to reach the network fails the test (frictionless must not fetch a profile)."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"the network was reached: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def test_frictionless_finds_the_package_valid_offline(package, offline):
    from frictionless import validate

    report = validate(str(package / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note", "rowNumber", "fieldName"])[:10]
    # Every resource was read, the main one first, with all its rows.
    assert [task.name for task in report.tasks][0] == "budget"
    assert report.tasks[0].stats["rows"] == len(_rows(package, "budget"))


def test_frictionless_catches_a_row_stated_twice(package, tmp_path, offline):
    # The validator does check the declared keys: a row repeated in the main resource fails it.
    from frictionless import validate

    copy = tmp_path / "fdp"
    shutil.copytree(package, copy)
    with open(copy / "budget.csv", encoding="utf-8") as f:
        lines = f.read().splitlines()
    (copy / "budget.csv").write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")
    report = validate(str(copy / "datapackage.json"))
    assert not report.valid
    assert {e[0] for e in report.flatten(["type"])} == {"primary-key"}


def _document_totals(seed_lines: list[str]) -> dict[str, Decimal]:
    """表1's 本年收入合计 and 本年支出合计, read from the document's first line that prints them."""
    for line in seed_lines:
        cells = line.split("\t")
        if cells[0] == "本年收入合计" and len(cells) == 4 and cells[2] == "本年支出合计":
            return {"revenue": Decimal(cells[1].replace(",", "")), "expenditure": Decimal(cells[3].replace(",", ""))}
    raise AssertionError("the document prints no 本年收入合计 line")


def test_the_main_resource_sums_by_direction_to_the_printed_totals(package, seed_lines):
    expected = _document_totals(seed_lines)
    assert expected == {"revenue": Decimal("835711.80"), "expenditure": Decimal("835711.80")}
    sums: dict[str, Decimal] = {}
    for row in _rows(package, "budget"):
        assert AMOUNT_TEXT.fullmatch(row["amount"]), row["amount"]
        sums[row["direction"]] = sums.get(row["direction"], Decimal(0)) + Decimal(row["amount"])
    assert sums == expected


def test_rounding_differences_are_stated_and_small(package):
    # The document's parts do not add up to its totals to the cent (it says so: 尾数误差):
    # the difference is a row of its own, at most a few cents, traced to the printed total.
    rows = [r for r in _rows(package, "budget") if r["kind"] != "printed"]
    assert {r["kind"] for r in rows} <= {"rounding-difference"}
    assert len(rows) <= 2
    for r in rows:
        assert abs(Decimal(r["amount"])) < Decimal("0.10") and r["table"] == "1"


def test_every_printed_amount_is_the_documents_cell(package, seed_lines):
    # Each row's amount is the printed text of the cell on its source line (commas removed).
    descriptor = _descriptor(package)
    checked = 0
    for resource in descriptor["resources"]:
        for row in _rows(package, resource["name"]):
            if row.get("kind", "printed") != "printed":
                continue
            cells = [c.replace(",", "").strip() for c in seed_lines[int(row["source_line"]) - 1].split("\t")]
            assert row["amount"] in cells, (resource["name"], row)
            checked += 1
    assert checked > 2000


def test_no_two_rows_of_a_resource_share_their_key(package):
    descriptor = _descriptor(package)
    for resource in descriptor["resources"]:
        schema = resource["schema"]
        key = schema["primaryKey"]
        # The key is every field whose ColumnType is unique (FDP 1.0: part of the primary key).
        declared = {t["name"]: t for t in descriptor["columnTypes"][1]}
        unique = [
            f["name"]
            for f in schema["fields"]
            if TAXONOMY.get(f["columnType"], (None, False))[1] or declared.get(f["columnType"], {}).get("unique")
        ]
        assert key == unique, resource["name"]
        rows = _rows(package, resource["name"])
        keys = [tuple(r[k] for k in key) for r in rows]
        assert len(set(keys)) == len(keys), resource["name"]


def test_every_field_has_an_fdp_column_type(package):
    descriptor = _descriptor(package)
    assert descriptor["columnTypes"][0] == "https://frictionlessdata.io/taxonomies/fiscal/budgets.json"
    custom = {t["name"]: t for t in descriptor["columnTypes"][1]}
    # Declared types extend the taxonomy, never redefine it.
    assert not set(custom) & set(TAXONOMY)
    for resource in descriptor["resources"]:
        for field in resource["schema"]["fields"]:
            column_type = field["columnType"]
            if column_type in TAXONOMY:
                assert field["type"] == TAXONOMY[column_type][0], field
            else:
                assert column_type in custom, field
                assert field["type"] == custom[column_type]["dataType"], field


def test_the_package_states_country_period_currency_and_scale(package):
    descriptor = _descriptor(package)
    assert descriptor["countryCode"] == "CN"
    assert descriptor["fiscalPeriod"] == "2024-01-01/2024-12-31"
    for resource in descriptor["resources"]:
        (value,) = [f for f in resource["schema"]["fields"] if f["columnType"] == "value"]
        assert (value["currency"], value["factor"]) == ("CNY", 10000)
        assert "万元" in value["description"]
        assert {r["currency"] for r in _rows(package, resource["name"])} <= {"CNY"}
    main = _rows(package, "budget")
    assert {r["direction"] for r in main} == {"revenue", "expenditure"}
    assert {r["phase"] for r in main} == {"approved"}
    # 表2 gives the revenue, 表11 and 表12 the expenditure; 表1 only the rounding differences.
    assert {(r["direction"], r["table"]) for r in main} == {
        ("revenue", "2"),
        ("expenditure", "11"),
        ("expenditure", "12"),
        ("revenue", "1"),
        ("expenditure", "1"),
    }


def test_each_year_of_a_store_sums_to_its_own_totals(two_years, seed_lines, tmp_path):
    # Two budgets in one store: the rounding rows and the keys are per dataset, never mixed.
    from budgetkg.load.store import open_store

    write_fdp(open_store(two_years), tmp_path)
    expected = _document_totals(seed_lines)
    sums: dict[tuple[str, str], Decimal] = {}
    for row in _rows(tmp_path, "budget"):
        key = (row["fiscal_year"], row["direction"])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(row["amount"])
    assert sums == {(year, d): expected[d] for year in ("2024", "2025") for d in expected}
    assert _descriptor(tmp_path)["fiscalPeriod"] == "2024-01-01/2025-12-31"
    for resource in _descriptor(tmp_path)["resources"]:
        key = resource["schema"]["primaryKey"]
        rows = _rows(tmp_path, resource["name"])
        assert len({tuple(r[k] for k in key) for r in rows}) == len(rows)


def test_the_export_command_writes_the_package(store_path, tmp_path):
    from budgetkg.cli import cli
    from click.testing import CliRunner

    out = tmp_path / "fdp"
    result = CliRunner().invoke(cli, ["export", "--format", "fdp", "-o", str(out), "--store", str(store_path)])
    assert result.exit_code == 0, result.output
    names = {r["path"] for r in _descriptor(out)["resources"]}
    assert names == {p.name for p in out.glob("*.csv")} and "budget.csv" in names
