"""Mapping a read document (and its accounting report) to RDF, in its own named graph."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pyoxigraph import Literal, NamedNode, Quad

from ..check.accounts import CheckReport
from ..check.identities import Identity, Term
from ..records import SYNTHETIC_MARK, Cell, Document, Place, ReferencePeriod, Row, Table
from ..template.codes import list_year, parent_code
from ..template.spec import TableSpec, template
from .codelists import TOTAL
from .forms import format_iri
from .graphs import CODES_GRAPH
from .iri import DEFAULT_BASE, Minter, concept, scheme
from .namespaces import BKG, DCAT, DCTERMS, INTERVAL, INTERVALS, ORG, PROV, QB, RDF, RDFS, SKOS, VOID, XSD
from .structure import CURRENCY_CNY, OBEU_CURRENCY, collection, dimensions, structure_iri
from .themes import themes_for

__all__ = ["document_quads", "Disclosure", "LICENSE"]

LICENSE = NamedNode("https://creativecommons.org/licenses/by/4.0/")


@dataclass(frozen=True)
class Disclosure:
    """What only the publisher knows of a document: where the government published it, and
    when (``budgetkg build --source-url URL --published DATE``), stated on its source document."""

    url: str | None = None  # the official page of the disclosure, an http(s) address (rdf.iri.web_address)
    published: date | None = None


TRUE, FALSE = Literal("true", datatype=XSD.boolean), Literal("false", datatype=XSD.boolean)


def _interval(period: ReferencePeriod) -> NamedNode:
    """The UK reference interval of a stated period: the year, month or day it names."""
    if period.month is None:
        return NamedNode(f"{INTERVALS}year/{period.year:04d}")
    if period.day is None:
        return NamedNode(f"{INTERVALS}month/{period.year:04d}-{period.month:02d}")
    return NamedNode(f"{INTERVALS}day/{period.year:04d}-{period.month:02d}-{period.day:02d}")


def _zh(text: str) -> Literal:
    return Literal(text, language="zh")


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=XSD.integer)


def _dec(value: Decimal | str) -> Literal:
    return Literal(str(value), datatype=XSD.decimal)


class _Mapper:
    def __init__(self, doc: Document, report: CheckReport, base: str, disclosure: Disclosure | None = None) -> None:
        self.doc = doc
        self.disclosure = disclosure or Disclosure()
        self.report = report
        self.m = Minter(base, doc.department, doc.year)
        self.year = doc.year
        self.graph = self.m.dataset()
        self.quads: list[Quad] = []
        self.shared: list[Quad] = []  # in the reference graphs
        self.orgs = self.m.organisations_graph()
        self.subjects: set[NamedNode] = set()  # for VoID's entity count (every subject is an IRI)
        self.src = self.m.source()
        self.obs: dict[tuple[int, str, str], NamedNode] = {}
        self.projects: dict[str, NamedNode] = {}
        self.all_projects = self.m.part("project", TOTAL)

    def add(self, s: NamedNode, p: NamedNode, o) -> None:
        self.quads.append(Quad(s, p, o, self.graph))
        self.subjects.add(s)

    def state(self, graph: NamedNode, s: NamedNode, p: NamedNode, o) -> None:
        """A fact other documents may state alike, in the reference graph ``graph``."""
        self.shared.append(Quad(s, p, o, graph))

    def reference_graph(self, graph: NamedNode, zh: str, en: str) -> None:
        self.state(graph, graph, RDF.type, BKG.ReferenceGraph)
        self.state(graph, graph, RDFS.label, _zh(zh))
        self.state(graph, graph, RDFS.label, Literal(en, language="en"))

    def code(self, scheme: str, notation: str) -> NamedNode:
        # The concept of the list the document was read with, which is on file: a 2025
        # document read with the 2024 list links to 2024's concepts until a 2025 list is added.
        return concept(scheme, list_year(scheme, self.year), notation)

    def traced(self, s: NamedNode, line: int, place: Place | None = None) -> None:
        """Where ``s`` was printed: the line of the text form and, for another form, the place
        in it (a PDF's page and the box, a workbook's cell, an HTML table's row and column)."""
        self.add(s, BKG.sourceLine, _int(line))
        self.add(s, BKG.sourceDocument, self.src)
        if place is None:
            return
        self.add(s, BKG.sourcePlace, Literal(str(place)))
        if place.page is not None:
            self.add(s, BKG.sourcePage, _int(place.page))
        if place.box is not None:
            self.add(s, BKG.sourceBox, Literal(" ".join(str(v) for v in place.box)))
        if place.sheet is not None and place.cell is not None:
            self.add(s, BKG.sourceCell, Literal(f"{place.sheet}!{place.cell}"))

    def traced_shared(self, s: NamedNode, line: int, kind: str, name: str) -> NamedNode:
        """Where this document lists a resource other documents list too (an organisation): a
        qualified derivation of its own, so each line stays paired with its document."""
        derivation = self.m.derivation(kind, name)
        self.add(s, BKG.sourceDocument, self.src)
        self.add(s, PROV.qualifiedDerivation, derivation)
        self.add(derivation, RDF.type, PROV.Derivation)
        self.add(derivation, PROV.entity, self.src)
        self.add(derivation, BKG.sourceLine, _int(line))
        return derivation

    def unlisted_codes(self) -> None:
        """Describe each printed code that the code list on file lacks, as the document prints it
        (notation, Chinese name, scheme, parent), so that queries by code, level or scheme see its
        figures.  The description goes to the reference graph CODES_GRAPH, where each build's
        settling (graph.settle_reference_graphs) keeps one Chinese name and drops codes since
        added to ``ontology/codelists/{scheme}-{year}.csv``; the document's graph notes where it
        printed the code."""
        described: set[NamedNode] = set()
        for scheme_name, year, row in self.report.codes_not_in_lists:
            assert row.code is not None
            c = concept(scheme_name, year, row.code)
            if c in described:  # printed in several tables: the first name printed
                continue
            if not described:
                self.reference_graph(
                    CODES_GRAPH, "文件所印、代码表未收录的代码", "Codes as printed, not in the code lists"
                )
            described.add(c)
            s = scheme(scheme_name, year)
            self.state(CODES_GRAPH, c, RDF.type, SKOS.Concept)
            self.state(CODES_GRAPH, c, SKOS.notation, Literal(row.code))
            self.state(CODES_GRAPH, c, SKOS.prefLabel, _zh(row.label))
            self.state(CODES_GRAPH, c, SKOS.inScheme, s)
            self.state(
                CODES_GRAPH, collection(scheme_name), SKOS.member, c
            )  # the dimension's code list (Data Cube IC-19)
            parent = parent_code(row.code)
            if parent:
                self.state(CODES_GRAPH, c, SKOS.broader, concept(scheme_name, year, parent))
            else:
                self.state(CODES_GRAPH, c, SKOS.topConceptOf, s)
            self.add(
                c,
                SKOS.editorialNote,
                _zh(
                    f"{self.doc.year}年{self.doc.department}部门预算表{row.table}印有此代码"
                    f"及名称“{row.label}”；代码表（{year}年）未收录此代码。"
                ),
            )
            self.add(
                c,
                SKOS.editorialNote,
                Literal(
                    f"Printed with the name “{row.label}” in table {row.table} of "
                    f"{self.doc.department}'s {self.doc.year} budget; the {year} code "
                    "list on file lacks this code.",
                    language="en",
                ),
            )
            self.add(c, DCTERMS.source, self.src)

    # -- organisations ----------------------------------------------------------
    def unit_iri(self, name: str | None) -> NamedNode:
        return self.m.unit(name) if name else self.m.department()

    def organisations(self) -> None:
        """The department, its units and divisions, in the organisations graph (each year's budget
        of a department names them alike); where this document lists them, and the duties it
        states, in its own graph."""
        d, dept, orgs = self.doc, self.m.department(), self.orgs
        self.reference_graph(orgs, "组织机构", "Organisations")
        self.state(orgs, dept, RDF.type, BKG.Department)
        self.state(orgs, dept, RDF.type, ORG.FormalOrganization)
        self.state(orgs, dept, RDF.type, ORG.Organization)
        self.state(orgs, dept, RDFS.label, _zh(d.department))
        self.state(orgs, dept, SKOS.prefLabel, _zh(d.department))
        self.state(orgs, dept, BKG.unitKind, self.code("unit-kind", d.units[0].kind))
        # The department is listed where its own level (本级) is.
        line = next((unit.line for unit in d.units if unit.is_department), d.units[0].line)
        listed = self.traced_shared(dept, line, "department", d.department)
        for paragraph in d.duties:
            self.add(listed, BKG.duties, _zh(paragraph))
        for unit in d.units:
            u = self.m.unit(unit.name)
            self.state(orgs, u, RDF.type, BKG.BudgetUnit)
            self.state(orgs, u, RDF.type, ORG.Organization)
            # The department's own level (本级) is printed under the department's name; its
            # label says 本级, so that its rows never read as the department's totals.
            own = f"{unit.name}（本级）" if unit.is_department else unit.name
            self.state(orgs, u, RDFS.label, _zh(own))
            self.state(orgs, u, SKOS.prefLabel, _zh(own))
            self.state(orgs, u, BKG.unitKind, self.code("unit-kind", unit.kind))
            self.state(orgs, u, ORG.subOrganizationOf, dept)
            self.state(orgs, dept, ORG.hasSubOrganization, u)
            listed = self.traced_shared(u, unit.line, "unit", unit.name)
            if unit.is_department:  # the name it is printed under, kept by settling as printed
                self.state(orgs, u, SKOS.altLabel, _zh(unit.name))
                self.add(listed, BKG.printedName, _zh(unit.name))
            # The names this document's tables print for the unit: alternative names in the
            # organisations graph, and on this document's derivation, by which settling drops
            # an alternative name that no document prints any more.
            for alt in sorted(unit.table_names - {unit.name}):
                self.state(orgs, u, SKOS.altLabel, _zh(alt))
                self.add(listed, BKG.printedName, _zh(alt))
        for division in d.divisions:
            v = self.m.division(division.name)
            self.state(orgs, v, RDF.type, BKG.Division)
            self.state(orgs, v, RDF.type, ORG.OrganizationalUnit)
            self.state(orgs, v, RDFS.label, _zh(division.name))
            self.state(orgs, v, ORG.unitOf, dept)
            self.state(orgs, dept, ORG.hasUnit, v)
            self.traced_shared(v, division.line, "division", division.name)

    # -- tables and observations ------------------------------------------------
    def subtotal_rows(self, table: Table, spec: TableSpec) -> set[str]:
        keys = {r.key for r in table.rows if r.kind in ("total", "unit") or r.attrs.get("role")}
        codes = {r.code for r in table.rows if r.kind == "code" and r.code}
        keys |= {
            r.key
            for r in table.rows
            if r.kind == "code" and r.code and any(c != r.code and c.startswith(r.code) for c in codes)
        }
        keys |= {r.attrs.get("parent", "") for r in table.rows}
        return keys

    def tables(self) -> None:
        for spec in template().tables:
            table = self.doc.tables[spec.number]
            t = self.m.table(spec.number)
            self.add(t, RDF.type, BKG.BudgetTable)
            self.add(t, RDF.type, QB.DataSet)
            self.add(t, QB.structure, structure_iri(spec.number))
            self.add(t, OBEU_CURRENCY, CURRENCY_CNY)
            self.add(t, RDFS.label, _zh(f"表{spec.number} {spec.title}"))
            self.add(t, RDFS.label, Literal(f"Table {spec.number}: {spec.title_en}", language="en"))
            self.add(t, DCTERMS.title, _zh(spec.title))
            self.add(t, BKG.tableNumber, _int(spec.number))
            self.add(t, BKG.declaredEmpty, TRUE if table.declared_empty else FALSE)
            self.add(t, DCTERMS.isPartOf, self.m.dataset())
            self.traced(t, table.line)
            subtotals = self.subtotal_rows(table, spec)
            total_columns = {c.key for c in spec.columns if c.role == "total"} | {total for total, _ in spec.sums}
            scopes = self.scopes(table) if spec.layout == "balance" else {}
            for row in table.rows:
                for col_key, cell in row.cells.items():
                    if cell.amount is None:
                        self.missing(spec, t, row, col_key, cell)
                        continue
                    self.observation(
                        spec,
                        t,
                        row,
                        col_key,
                        cell,
                        row.key in subtotals or col_key in total_columns,
                        scopes.get(row.key, ""),
                    )

    @staticmethod
    def scopes(table: Table) -> dict[str, str]:
        """表1/表4: lines down to 本年合计 are this year's; the lines after it belong to the grand total."""
        out: dict[str, str] = {}
        for side in ("income", "expenditure"):
            scope = "current-year"
            for row in (r for r in table.rows if r.attrs.get("side") == side):
                out[row.key] = scope
                if row.attrs.get("role") == "year-total":
                    scope = "all"
        return out

    def missing(self, spec: TableSpec, t: NamedNode, row: Row, col_key: str, cell: Cell) -> None:
        missing = self.m.observation(spec.number, row.key, col_key)
        self.add(missing, RDF.type, BKG.MissingCell)
        self.add(
            missing, RDFS.label, _zh(f"表{spec.number} {row.label} · {'/'.join(spec.column(col_key).path)}（缺失）")
        )
        self.add(missing, DCTERMS.isPartOf, t)
        self.add(missing, BKG.sourceColumn, Literal("/".join(spec.column(col_key).path)))
        if cell.printed:
            self.add(missing, BKG.printedAmount, Literal(cell.printed))
        self.traced(missing, cell.source.line, cell.source.place)

    def observation(
        self, spec: TableSpec, t: NamedNode, row: Row, col_key: str, cell: Cell, subtotal: bool, scope: str
    ) -> None:
        column = spec.column(col_key)
        o = self.m.observation(spec.number, row.key, col_key)
        self.obs[(spec.number, row.key, col_key)] = o
        add = self.add
        add(o, RDF.type, QB.Observation)
        add(o, QB.dataSet, t)
        add(o, RDFS.label, _zh(f"表{spec.number} {row.label} · {'/'.join(column.path)}"))
        fund = row.attrs.get("fund") or column.fund or spec.fund or TOTAL
        etype = row.attrs.get("expense_type") or column.expense_type or spec.expense_type or TOTAL
        flow = row.attrs.get("side") or ("income" if spec.number == 2 else "expenditure")
        dims = {
            "fiscalYear": INTERVAL[str(self.year)],
            "budgetPhase": self.code("budget-phase", "approved"),
            "organization": self.unit_iri(row.unit) if row.kind != "total" else self.m.department(),
            "operationCharacter": self.code("flow", "expenditure" if flow == "expenditure" else "income"),
            "fundingSource": self.code("fund", fund),
            "expenditureType": self.code("expense-type", etype),
            "functionalClassification": self.code(
                "functional", row.code if row.code and spec.codes != "economic" else TOTAL
            ),
            "economicClassification": self.code(
                "economic", row.code if row.code and spec.codes == "economic" else TOTAL
            ),
            "accountingScope": self.code("scope", scope or "current-year"),
            "expenseItem": self.code("expense-item", row.key),
            "project": self.projects.get(row.key, self.all_projects),
        }
        for dim in dimensions(spec):
            add(o, BKG[dim], dims[dim])
        assert cell.amount is not None
        add(o, BKG.amount, _dec(cell.amount.lexical))
        add(o, BKG.printedAmount, Literal(cell.amount.text))
        add(o, BKG.unitOfMeasure, self.code("unit-of-measure", "wan-yuan"))
        add(o, BKG.isSubtotal, TRUE if subtotal else FALSE)
        add(o, BKG.sourceColumn, Literal("/".join(column.path)))
        self.traced(o, cell.source.line, cell.source.place)

    # -- projects -----------------------------------------------------------------
    def project_resources(self) -> None:
        all_p = self.all_projects
        self.add(all_p, RDF.type, BKG.ProjectTotal)  # the total rows' project: not a project
        self.add(all_p, RDFS.label, _zh("全部项目（合计）"))
        self.add(all_p, RDFS.label, Literal("All projects (total)", language="en"))
        key_of = {id(k.project): k for k in self.doc.key_projects if k.project is not None}
        for project in self.doc.projects:
            p = self.m.project(project.unit, project.name)
            self.projects[project.row.key] = p
            self.add(p, RDF.type, BKG.Project)
            self.add(p, RDFS.label, _zh(project.name))
            self.add(p, BKG.budgetUnit, self.m.unit(project.unit))
            if project.row.goal:
                self.add(p, BKG.performanceGoal, _zh(project.row.goal))
            total = project.row.cells["total"].amount
            if total is not None:
                self.add(p, BKG.totalAmount, _dec(total.lexical))
            self.add(p, DCTERMS.isPartOf, self.m.dataset())
            self.traced(p, project.row.line)
            key = key_of.get(id(project))
            self.add(p, BKG.isKeyProject, TRUE if key else FALSE)
            for match in themes_for(project.name):
                theme = self.code("theme", match.theme)
                self.add(p, BKG.theme, theme)
                a = NamedNode(f"{p.value}/theme/{match.theme}")
                self.add(p, BKG.themeAssignment, a)
                self.add(a, RDF.type, BKG.ThemeAssignment)
                self.add(a, BKG.assignedTheme, theme)
                self.add(a, BKG.themeRule, Literal(match.rule))
                self.add(a, BKG.matchedText, Literal(match.matched))
        # Numbered in the order printed, not by line: the same IRI whatever the form.
        for number, k in enumerate(self.doc.key_projects, 1):
            s = self.m.part("key-project", str(number))
            self.add(s, RDF.type, BKG.KeyProjectStatement)
            self.add(s, RDFS.label, _zh(f"重点项目 {k.name}"))
            self.add(s, BKG.printedName, _zh(k.name))
            self.add(s, BKG.value, _dec(k.amount.lexical))
            self.add(s, BKG.printedAmount, Literal(k.amount.text))
            self.add(s, BKG.unitOfMeasure, self.code("unit-of-measure", "wan-yuan"))
            if k.goal:
                self.add(s, BKG.performanceGoal, _zh(k.goal))
            self.traced(s, k.source.line, k.source.place)
            if k.project is not None:
                p = self.m.project(k.project.unit, k.project.name)
                self.add(s, BKG.describesProject, p)
                self.add(p, BKG.keyProjectStatement, s)
                self.add(s, BKG.nameSimilarity, _dec(f"{k.similarity:.3f}"))

    # -- part 3, part 4, name differences ---------------------------------------------
    def narrative(self) -> None:
        units = {"万元": "wan-yuan", "%": "percent", "平方米": "square-metre", "辆": "vehicle", "台": "device"}
        for n in self.doc.narrative:
            f = self.m.part("narrative", n.key)
            self.add(f, RDF.type, BKG.NarrativeFigure)
            self.add(f, RDFS.label, _zh(n.label))
            self.add(f, BKG.narrativeKey, Literal(n.key))
            self.add(f, BKG.value, _dec(n.amount.value))
            self.add(f, BKG.printedAmount, Literal(n.amount.text))
            self.add(f, BKG.unitOfMeasure, self.code("unit-of-measure", units[n.unit]))
            if n.period is not None:
                self.add(f, BKG.referencePeriod, _interval(n.period))
                if n.period.day is not None:
                    day = f"{n.period.year:04d}-{n.period.month:02d}-{n.period.day:02d}"
                    self.add(f, BKG.referenceDate, Literal(day, datatype=XSD.date))
            self.traced(f, n.source.line, n.source.place)
        for i, g in enumerate(self.doc.glossary, 1):
            e = self.m.part("glossary", str(i))
            self.add(e, RDF.type, BKG.GlossaryEntry)
            self.add(e, RDF.type, SKOS.Concept)
            self.add(e, SKOS.prefLabel, _zh(g.term))
            self.add(e, SKOS.definition, _zh(g.definition))
            self.traced(e, g.source.line, g.source.place)
        for i, d in enumerate(self.doc.name_differences, 1):
            x = self.m.part("name-difference", str(i))
            self.add(x, RDF.type, BKG.NameDifference)
            self.add(x, RDFS.label, _zh(f"“{d.printed}” → “{d.resolved_to}”"))
            self.add(x, BKG.printedName, _zh(d.printed))
            self.add(x, BKG.nameSimilarity, _dec(f"{d.similarity:.3f}"))
            if d.what == "unit":
                self.add(x, BKG.resolvedTo, self.m.unit(d.resolved_to))
            else:
                unit, name = d.resolved_to.split(" / ", 1)
                self.add(x, BKG.resolvedTo, self.m.project(unit, name))
            self.traced(x, d.printed_at.line, d.printed_at.place)

    # -- identities -----------------------------------------------------------------
    def term_iri(self, term: Term) -> NamedNode | None:
        kind = term.ref[0] if term.ref else None
        if kind == "cell":
            return self.obs.get((term.ref[1], term.ref[2], term.ref[3]))
        if kind == "narrative":
            return self.m.part("narrative", str(term.ref[1]))
        if kind == "key-project":
            return self.m.part("key-project", str(term.ref[1]))
        if kind == "division":
            return self.m.division(str(term.ref[1]))
        if kind == "department":
            return self.m.department()
        return None

    def identities(self, identities: list[Identity]) -> None:
        for ident in identities:
            i = self.m.part("check", ident.id)
            self.add(i, RDF.type, BKG.AccountingIdentity)
            self.add(i, RDFS.label, _zh(ident.description))
            self.add(i, BKG.identityKind, Literal(ident.kind))
            self.add(i, BKG.identityStatus, self.code("identity-status", ident.status))
            self.add(i, BKG.difference, _dec(ident.difference))
            self.add(i, BKG.expectedValue, _dec(ident.expected))
            total = self.term_iri(ident.total)
            if total is not None:
                self.add(i, BKG.identityTotal, total)
            for part in ident.parts:
                iri = self.term_iri(part)
                if iri is not None:
                    self.add(i, BKG.identityPart, iri)

    # -- dataset description ------------------------------------------------------------
    def dataset(self) -> None:
        d, ds, dept = self.doc, self.m.dataset(), self.m.department()
        # A generated document says so wherever it is named, and states it for queries to tell apart.
        zh, en = (f"（{SYNTHETIC_MARK}）", " (synthetic data)") if d.synthetic else ("", "")
        self.add(self.src, RDF.type, BKG.SourceDocument)
        self.add(self.src, DCTERMS.title, _zh(f"{d.year}年{d.department}部门预算{zh}"))
        self.add(self.src, DCTERMS.identifier, Literal(d.file))
        self.add(self.src, RDFS.label, Literal(d.file))
        self.add(self.src, BKG.checksumSha256, Literal(d.sha256))
        self.add(self.src, DCTERMS.format, NamedNode(format_iri(d.form)))
        if self.disclosure.url is not None:
            self.add(self.src, DCAT.landingPage, NamedNode(self.disclosure.url))
        if self.disclosure.published is not None:
            self.add(self.src, DCTERMS.issued, Literal(self.disclosure.published.isoformat(), datatype=XSD.date))
        self.add(ds, RDF.type, BKG.BudgetDataset)
        self.add(ds, RDF.type, DCAT.Dataset)
        self.add(ds, RDF.type, VOID.Dataset)
        self.add(ds, DCTERMS.title, _zh(f"{d.department}{d.year}年部门预算{zh}"))
        self.add(ds, DCTERMS.title, Literal(f"Department budget {d.year}: {d.department}{en}", language="en"))
        self.add(ds, RDFS.label, _zh(f"{d.department}{d.year}年部门预算{zh}"))
        self.add(
            ds,
            DCTERMS.description,
            _zh(f"{d.department}公开的{d.year}年部门预算各表的数字{zh}，每个数字带其单位、科目代码和在原文中的位置。"),
        )
        self.add(
            ds,
            DCTERMS.description,
            Literal(
                f"The figures of the tables of {d.department}'s {d.year} department budget as disclosed{en}, each "
                "with its unit, its classification codes and its place in the disclosure.",
                language="en",
            ),
        )
        if d.synthetic:
            self.add(self.src, BKG.synthetic, TRUE)
            self.add(ds, BKG.synthetic, TRUE)
        self.add(ds, DCTERMS.publisher, dept)
        self.add(ds, DCTERMS.license, LICENSE)
        self.add(ds, DCTERMS.source, self.src)
        self.add(ds, PROV.wasDerivedFrom, self.src)
        self.add(ds, BKG.fiscalYear, INTERVAL[str(d.year)])
        self.add(ds, DCTERMS.temporal, INTERVAL[str(d.year)])
        self.add(ds, DCAT.keyword, _zh("部门预算"))
        # The base its data IRIs were minted under: `serve` reads it back, so that a store built
        # with --base serves its own pages without being told the base again.
        self.add(ds, VOID.uriSpace, Literal(self.m.base))
        self.add(ds, VOID.vocabulary, NamedNode("https://w3id.org/budgetkg/ontology#"))
        self.add(ds, VOID.vocabulary, NamedNode("http://purl.org/linked-data/cube#"))
        for spec in template().tables:
            self.add(ds, VOID.subset, self.m.table(spec.number))

    def statistics(self) -> None:
        """VoID counts: triples (these included) and entities (distinct IRI subjects)."""
        ds = self.m.dataset()
        entities = len(self.subjects)
        self.add(ds, VOID.entities, _int(entities))
        self.add(ds, VOID.triples, _int(len(self.quads) + 1))


def document_quads(
    doc: Document, report: CheckReport, *, base: str = DEFAULT_BASE, disclosure: Disclosure | None = None
) -> list[Quad]:
    """The quads of one document: first those of the named graph of its dataset, then what it
    states in the reference graphs (its organisations; the codes it prints that the lists lack).

    >>> from budgetkg import read_document
    >>> from budgetkg.check.accounts import check_document
    >>> doc = read_document()
    >>> quads = document_quads(doc, check_document(doc))
    >>> sorted({q.graph_name.value for q in quads})  # doctest: +NORMALIZE_WHITESPACE
    ['https://w3id.org/budgetkg/data/dataset/%E5%B9%BF%E5%B7%9E%E5%B8%82%E4%BA%BA%E5%8A%9B%E8%B5%84%E6%BA%90%E5%92%8C%E7%A4%BE%E4%BC%9A%E4%BF%9D%E9%9A%9C%E5%B1%80/2024',
     'https://w3id.org/budgetkg/data/graph/organisations']
    """
    m = _Mapper(doc, report, base, disclosure)
    m.organisations()
    m.project_resources()
    m.tables()
    m.unlisted_codes()
    m.narrative()
    m.identities(report.identities)
    m.dataset()
    m.quads = list(dict.fromkeys(m.quads))
    m.statistics()
    return m.quads + list(dict.fromkeys(m.shared))
