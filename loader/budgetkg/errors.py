"""One base exception and a catalogue of error codes.

Every error a reader of a document can meet has a stable slug ``code``; the
catalogue (``data/errors.toml``) gives each a title in Chinese and English and
says why it matters.  ``docs/errors.md`` is generated from the catalogue.
Positions use the attribute names of Python's ``SyntaxError``:
``filename``, ``lineno``, ``offset`` (1-based cell number for table rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from .resources import read_toml

__all__ = ["BudgetkgError", "DocumentError", "ErrorKind", "catalogue"]


@dataclass(frozen=True)
class ErrorKind:
    """One entry of the error catalogue."""

    code: str
    title_zh: str
    title_en: str
    why: str
    hint: str = ""
    # A hint for a document of one form (text, pdf, xlsx, xls, html) where what helps differs
    # by form, e.g. a workbook of the tables alone against a notice printed to PDF.
    hints: dict[str, str] = field(default_factory=dict)

    def hint_for(self, form: str = "") -> str:
        """The hint for a document of ``form`` (the form's own, or the general one)."""
        return self.hints.get(form, self.hint)


@cache
def catalogue() -> dict[str, ErrorKind]:
    """Return the error catalogue, keyed by code."""
    return {code: ErrorKind(code=code, **entry) for code, entry in read_toml("errors.toml").items()}


class BudgetkgError(Exception):
    """Base class of every error budgetkg raises on purpose."""


class DocumentError(BudgetkgError, ValueError):
    """A document could not be read: names the file, line, what was expected and found.

    >>> e = DocumentError("bad-amount", "doc.txt", 12, expected="an amount", found="1.2x", offset=3)
    >>> print(e)
    doc.txt:12:3: error[bad-amount] expected an amount, found "1.2x"
      hint: amounts are digits with an optional decimal point and thousands separators; an empty cell or a dash (-, —) is read as no amount
    """  # noqa: E501 (the doctest's expected output is one line)

    def __init__(
        self,
        code: str,
        filename: str,
        lineno: int,
        *,
        expected: str,
        found: str,
        offset: int = 1,
        context: str = "",
        form: str = "",
    ) -> None:
        if code not in catalogue():
            raise KeyError(f"error code {code!r} is not in the catalogue")
        self.code = code
        self.filename = filename
        self.lineno = lineno
        self.offset = offset
        self.expected = expected
        self.found = found
        self.context = context
        self.form = form  # the form the document was read in, when known: it chooses the hint
        super().__init__(self.message())

    def __reduce__(self):
        # Builds of many documents map them in worker processes; their errors come back pickled.
        return _document_error, (
            self.code,
            self.filename,
            self.lineno,
            self.expected,
            self.found,
            self.offset,
            self.context,
            self.form,
        )

    @property
    def kind(self) -> ErrorKind:
        return catalogue()[self.code]

    def message(self) -> str:
        where = f"{self.filename}:{self.lineno}:{self.offset}"
        ctx = f" {self.context}:" if self.context else ""
        found = self.found if len(self.found) <= 80 else self.found[:77] + "..."
        text = f'{where}: error[{self.code}]{ctx} expected {self.expected}, found "{found}"'
        hint = self.kind.hint_for(self.form)
        if hint:
            text += f"\n  hint: {hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "filename": self.filename,
            "lineno": self.lineno,
            "offset": self.offset,
            "expected": self.expected,
            "found": self.found,
            "context": self.context,
            "message": self.message(),
        }


def _document_error(
    code: str, filename: str, lineno: int, expected: str, found: str, offset: int, context: str, form: str = ""
) -> DocumentError:
    return DocumentError(
        code, filename, lineno, expected=expected, found=found, offset=offset, context=context, form=form
    )
