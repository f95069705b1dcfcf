"""Writes of the ledger app. Pages, the API, the CLI, the kube app (aid) and the demo come through here."""

from berdaya.ledger.services.accounts import account_create, account_update
from berdaya.ledger.services.posting import (
    LedgerError,
    book_open,
    books_wipe,
    entry_post,
    entry_reverse,
    month_close,
    operation_post,
    operations_post_bulk,
)

__all__ = [
    "LedgerError",
    "account_create",
    "account_update",
    "book_open",
    "books_wipe",
    "entry_post",
    "entry_reverse",
    "month_close",
    "operation_post",
    "operations_post_bulk",
]
