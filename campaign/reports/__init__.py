"""Report figures from the records: 附件2 问题统计表 and 附件3 问题情况汇总表 (exact figures,
drill-down to the records behind each cell), and the ledger as a workbook."""

from campaign.reports.attachment2 import attachment2
from campaign.reports.attachment2 import cell_evidence as attachment2_cell
from campaign.reports.attachment3 import attachment3
from campaign.reports.attachment3_cells import cell_evidence as attachment3_cell
from campaign.reports.counting import RULE as COUNTING_RULE
from campaign.reports.evidence import Evidence, EvidenceItem
from campaign.reports.ledger_sheet import export_ledger, export_template, ledger_choices
from campaign.reports.scope import ReportScope, report_scope, scope_for, units_open_to

__all__ = [
    "COUNTING_RULE",
    "Evidence",
    "EvidenceItem",
    "ReportScope",
    "attachment2",
    "attachment2_cell",
    "attachment3",
    "attachment3_cell",
    "export_ledger",
    "export_template",
    "ledger_choices",
    "report_scope",
    "scope_for",
    "units_open_to",
]
