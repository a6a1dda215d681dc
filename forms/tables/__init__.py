"""The statutory tables of 临空财发〔2022〕4号 as print-ready .xlsx: 附件2 问题统计表 and 附件3
问题情况汇总表. Figures come in exact (分 and counts); each printed cell is rounded once."""

from forms.tables.attachment2 import Attachment2Table, write_attachment2
from forms.tables.attachment3 import Attachment3Table, write_attachment3
from forms.tables.style import Signature, fen_to_wan

__all__ = [
    "Attachment2Table",
    "Attachment3Table",
    "Signature",
    "fen_to_wan",
    "write_attachment2",
    "write_attachment3",
]
