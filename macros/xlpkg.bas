Attribute VB_Name = "xlpkg"
' xlpkg ribbon callbacks (tab: customUI14.xml). Each Sub is one RunPython line into
' xlpkg.buttons: the Python side does the work, so these never need to change.
' Kept as text in the repository with CRLF line endings (as the VBA editor exports);
' ASCII only, because the VBA project stores source in a single-byte code page.
' Built into xlpkg.xlam by xlpkg/addin.py (xlpkg addin build).
Option Explicit

Sub XlpkgValidate(control As IRibbonControl)
    RunPython "import xlpkg.buttons; xlpkg.buttons.validate()"
End Sub

Sub XlpkgNormalizeTargets(control As IRibbonControl)
    RunPython "import xlpkg.buttons; xlpkg.buttons.normalize_targets()"
End Sub

Sub XlpkgConsolidate(control As IRibbonControl)
    RunPython "import xlpkg.buttons; xlpkg.buttons.consolidate()"
End Sub

Sub XlpkgNewForm(control As IRibbonControl)
    RunPython "import xlpkg.buttons; xlpkg.buttons.new_form()"
End Sub

Sub XlpkgReviewWorkbook(control As IRibbonControl)
    RunPython "import xlpkg.buttons; xlpkg.buttons.review_workbook()"
End Sub

Sub XlpkgApplyReview(control As IRibbonControl)
    RunPython "import xlpkg.buttons; xlpkg.buttons.apply_review()"
End Sub
