"""The form a document was read from, as its graph states it: ``dct:format``, an IANA media type's IRI."""

from __future__ import annotations

__all__ = ["MEDIA_TYPES", "format_iri", "form_of"]

# The media type of each form a document is read from (read.grid.Form).
MEDIA_TYPES = {
    "text": "text/plain",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "html": "text/html",
}
_FORMS = {media: form for form, media in MEDIA_TYPES.items()}
_REGISTRY = "http://www.iana.org/assignments/media-types/"


def format_iri(form: str) -> str:
    """The ``dct:format`` of a document read from ``form``.

    >>> format_iri("pdf")
    'http://www.iana.org/assignments/media-types/application/pdf'
    """
    return _REGISTRY + MEDIA_TYPES[form]


def form_of(iri: str | None, default: str) -> str:
    """The form whose media type the ``dct:format`` IRI ``iri`` names; ``default`` when there is
    none or it names another.

    >>> form_of(format_iri("xlsx"), ""), form_of(None, "text")
    ('xlsx', 'text')
    """
    if iri is None:
        return default
    return _FORMS.get(iri.rsplit("media-types/", 1)[-1], default)
