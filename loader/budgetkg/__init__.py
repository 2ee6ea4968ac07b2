"""budgetkg: Chinese department budget disclosures as an exact, traceable knowledge graph."""

from .read.document import read_document
from .errors import BudgetkgError, DocumentError
from .records import Document

__all__ = ["read_document", "Document", "BudgetkgError", "DocumentError"]
__version__ = "0.1.0"
