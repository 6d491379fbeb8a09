"""Work addresses and work orders: the field-service side (R4, R6, R11).

`lookup` finds what users type and refuses what cannot be invoiced, `addresses`
keeps work addresses, `lifecycle` takes a work order from create to archive,
`importer` adds many at once (all or nothing), `pdf` renders the PDFs push sends.
"""

from exactsync.workorders.lifecycle import details
from exactsync.workorders.pdf import forms_pdf, workorder_pdf

__all__ = ["details", "forms_pdf", "workorder_pdf"]
