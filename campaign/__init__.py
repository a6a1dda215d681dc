"""The campaign itself: units, people and roles, programmes, categories, the ledger."""
