"""The accounting report of ``budgetkg check``: a readable table and a JSON form."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from ..records import Document, Row, Source
from ..template.codes import code_list
from ..template.spec import template
from .identities import STATUSES, Identity, Term, check_identities

__all__ = ["CheckReport", "check_document"]


@dataclass
class CheckReport:
    """What ``check`` found in one document."""

    document: Document
    identities: list[Identity]

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(i.status for i in self.identities)
        return {s: c.get(s, 0) for s in STATUSES}

    @property
    def broken(self) -> list[Identity]:
        return [i for i in self.identities if i.status == "broken"]

    @cached_property  # asked for by the text, the JSON and the build's summary
    def codes_not_in_lists(self) -> list[tuple[str, int, Row]]:
        """(scheme, year of the list, row) for each printed code the code list the document
        was read with does not have: the document's graph describes its concept with the name
        it prints and no English label, until the code is added to
        ``ontology/codelists/{scheme}-{year}.csv``."""
        out = []
        for spec in template().tables:
            if spec.codes and spec.number in self.document.tables:
                known = code_list(spec.codes, self.document.year)
                out += [
                    (spec.codes, known.year, row)
                    for row in self.document.tables[spec.number].rows
                    if row.code and row.code not in known.labels
                ]
        return out

    def summary(self) -> str:
        c = self.counts
        d = self.document
        return (
            f"{d.file}: identities {c['exact']} exact / {c['rounding']} rounding / {c['broken']} broken; "
            f"lines accounted for {len(d.line_kinds)}/{d.nonblank_lines}; "
            f"{len(d.tables)} tables, {len(d.units)} units, {len(d.projects)} projects, "
            f"{len(d.name_differences)} name differences"
        )

    def to_text(self, *, show: Literal["problems", "all"] = "problems") -> str:
        """The report as text: the identities that are not exact (or all, ``show="all"``)."""
        out = [self.summary(), ""]
        shown = [i for i in self.identities if show == "all" or i.status != "exact"]
        if shown:
            out.append(f"{'status':8} {'difference':>10}  identity")
            for i in sorted(shown, key=lambda i: (STATUSES.index(i.status) * -1, i.id)):
                out.append(f"{i.status:8} {i.difference:>10}  {i.description}")
                out.append(f"{'':20}{_where(i.total)} = {i.total.value}; Σ {len(i.parts)} figures = {i.expected}")
                if i.status == "broken":
                    out.extend(f"{'':22}{_where(p)} {p.value}" for p in i.parts)
        if self.document.name_differences:
            out += ["", "name differences (printed → resolved):"]
            out += [
                f"  {_at(n.printed_at)}: {n.what} “{n.printed}” → “{n.resolved_to}” "
                f"(line {n.resolved_at.line}, similarity {n.similarity})"
                for n in self.document.name_differences
            ]
        if self.document.quirks:
            out += ["", "quirks handled (of the conversion, or cells with no amount):"] + [
                f"  {q}" for q in self.document.quirks
            ]
        if self.codes_not_in_lists:
            out += ["", "codes not in the code lists (add them to ontology/codelists/SCHEME-YEAR.csv):"]
            out += [
                f"  {self.document.file}:{row.line}: 表{row.table} {scheme} {row.code} {row.label} "
                f"(not in {scheme}-{year})"
                for scheme, year, row in self.codes_not_in_lists
            ]
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        d = self.document
        return {
            "file": d.file,
            "sha256": d.sha256,
            "year": d.year,
            "department": d.department,
            "summary": {
                **self.counts,
                "identities": len(self.identities),
                "lines_accounted": len(d.line_kinds),
                "nonblank_lines": d.nonblank_lines,
                "tables": len(d.tables),
                "units": len(d.units),
                "projects": len(d.projects),
            },
            "identities": [_identity_json(i) for i in self.identities],
            "name_differences": [
                {
                    "what": n.what,
                    "printed": n.printed,
                    "resolved_to": n.resolved_to,
                    "printed_line": n.printed_at.line,
                    "printed_place": _place(n.printed_at),
                    "resolved_line": n.resolved_at.line,
                    "similarity": n.similarity,
                }
                for n in d.name_differences
            ],
            "quirks": d.quirks,
            "codes_not_in_lists": [
                {
                    "scheme": scheme,
                    "list_year": year,
                    "code": row.code,
                    "label": row.label,
                    "table": row.table,
                    "line": row.line,
                }
                for scheme, year, row in self.codes_not_in_lists
            ],
        }


def _place(source: Source | None) -> str | None:
    """Where the form printed it (``表12!C37``, a PDF page and box), or None for a text document."""
    return str(source.place) if source is not None and source.place is not None else None


def _at(source: Source) -> str:
    """``file:line``, and the place in the form for a document read from a workbook, PDF or page."""
    place = _place(source)
    return f"{source.file}:{source.line}" + (f" ({place})" if place else "")


def _where(term: Term) -> str:
    if not term.source:
        return term.label
    place = _place(term.source)
    return f"line {term.source.line}" + (f" ({place})" if place else "") + f" {term.label}"


def _term_json(t: Term) -> dict[str, Any]:
    return {
        "label": t.label,
        "value": str(t.value),
        "line": t.source.line if t.source else None,
        "place": _place(t.source),
        "table": t.source.table if t.source else None,
        "column": list(t.source.column) if t.source else [],
    }


def _identity_json(i: Identity) -> dict[str, Any]:
    return {
        "id": i.id,
        "kind": i.kind,
        "status": i.status,
        "description": i.description,
        "total": _term_json(i.total),
        "parts": [_term_json(p) for p in i.parts],
        "expected": str(i.expected),
        "difference": str(i.difference),
        "tolerance": str(i.tolerance),
    }


def check_document(doc: Document) -> CheckReport:
    """Evaluate the accounting identities of a document that has been read."""
    return CheckReport(doc, check_identities(doc))
