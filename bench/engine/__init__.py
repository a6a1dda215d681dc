"""The engine benchmark of issue 3 (`ykt bench`): raw SpiffWorkflow against our completion
transaction, and the inbox query over a million work items (see docs/performance.md)."""
