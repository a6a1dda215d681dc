"""The ledger as an Excel workbook: the import template with drop-down lists, the ledger
download (the same columns, so it imports again) and a reader that is safe with hostile
files. Pure: the campaign passes the choice lists and rows in."""

from forms.ledger_excel.archive import SpreadsheetRefused
from forms.ledger_excel.columns import COLUMNS, SHEET, LedgerChoices, LedgerRow, RowError
from forms.ledger_excel.reader import LedgerSheet, read_ledger
from forms.ledger_excel.writer import write_ledger, write_template

__all__ = [
    "COLUMNS",
    "SHEET",
    "LedgerChoices",
    "LedgerRow",
    "LedgerSheet",
    "RowError",
    "SpreadsheetRefused",
    "read_ledger",
    "write_ledger",
    "write_template",
]
