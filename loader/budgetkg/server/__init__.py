"""``budgetkg serve``: SPARQL endpoint, query UI, resource pages, dumps and dataset descriptions."""

from .app import ServerOptions, create_app

__all__ = ["ServerOptions", "create_app"]
