"""Word documents in and out: import a published 绩效目标 document, publish one, draft 自评报告.

Layers: ``text`` (normalising what people type), ``tables`` (reading and writing Word tables,
merges included), ``docx_import`` (document → projects + department info), ``publish``
(projects → the publishable document), ``report`` (filled workbook → 自评报告 from docxtpl
templates in ``templates/``), ``chart`` (a dependency-free PNG bar chart).
Nothing here imports xlwings or uno.
"""
