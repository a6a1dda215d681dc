"""Declarative forms: task screens, the statutory tables, the Excel template."""
