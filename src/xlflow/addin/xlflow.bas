Attribute VB_Name = "xlflow"
' xlflow ribbon callbacks and the macros behind them.
'
' This is the VBA module "xlflow" of the xlflow Excel add-in. `xlflow addin build`
' puts it into the add-in's VBA project (xl/vbaProject.bin), next to the xlwings
' module; it can also be imported by hand into an add-in made by Excel (README,
' "If the built add-in does not work: the fallback").
'
' Two Subs per button:
' * XlflowAdvance(control As IRibbonControl) is the button's onAction in
'   customUI/customUI14.xml. A ribbon callback must take the control, so Excel
'   does not offer it in Alt+F8, Customize Ribbon or the Quick Access Toolbar.
' * XlflowAdvanceRun() takes nothing: run it with Alt+F8 (type its name), or put
'   it on a ribbon group or the Quick Access Toolbar by hand (Customize Ribbon ->
'   Choose commands from: Macros). It hands over to Python through xlwings
'   RunPython; the work is done by the function of the same purpose in the Python
'   module xlflow.macros.
' Keep this file ASCII: the VBA project is stored in code page 1252.
Option Explicit

' ---- ribbon callbacks (onAction) ----------------------------------------------

Sub XlflowRegisterLetter(control As IRibbonControl)
    XlflowRegisterLetterRun
End Sub

Sub XlflowAdvance(control As IRibbonControl)
    XlflowAdvanceRun
End Sub

Sub XlflowAssignUnit(control As IRibbonControl)
    XlflowAssignUnitRun
End Sub

Sub XlflowAssignOfficer(control As IRibbonControl)
    XlflowAssignOfficerRun
End Sub

Sub XlflowApprove(control As IRibbonControl)
    XlflowApproveRun
End Sub

Sub XlflowSendBack(control As IRibbonControl)
    XlflowSendBackRun
End Sub

Sub XlflowPause(control As IRibbonControl)
    XlflowPauseRun
End Sub

Sub XlflowResume(control As IRibbonControl)
    XlflowResumeRun
End Sub

Sub XlflowUndo(control As IRibbonControl)
    XlflowUndoRun
End Sub

Sub XlflowRefresh(control As IRibbonControl)
    XlflowRefreshRun
End Sub

Sub XlflowFillForms(control As IRibbonControl)
    XlflowFillFormsRun
End Sub

Sub XlflowLinkScan(control As IRibbonControl)
    XlflowLinkScanRun
End Sub

Sub XlflowClose(control As IRibbonControl)
    XlflowCloseRun
End Sub

Sub XlflowForward(control As IRibbonControl)
    XlflowForwardRun
End Sub

Sub XlflowCancel(control As IRibbonControl)
    XlflowCancelRun
End Sub

' ---- the macros (no arguments: Alt+F8, Customize Ribbon, Quick Access Toolbar) -

Sub XlflowRegisterLetterRun()
    RunPython "import xlflow.macros; xlflow.macros.register_letter()"
End Sub

Sub XlflowAdvanceRun()
    RunPython "import xlflow.macros; xlflow.macros.advance()"
End Sub

Sub XlflowAssignUnitRun()
    RunPython "import xlflow.macros; xlflow.macros.assign_unit()"
End Sub

Sub XlflowAssignOfficerRun()
    RunPython "import xlflow.macros; xlflow.macros.assign_officer()"
End Sub

Sub XlflowApproveRun()
    RunPython "import xlflow.macros; xlflow.macros.approve()"
End Sub

Sub XlflowSendBackRun()
    RunPython "import xlflow.macros; xlflow.macros.send_back()"
End Sub

Sub XlflowPauseRun()
    RunPython "import xlflow.macros; xlflow.macros.pause()"
End Sub

Sub XlflowResumeRun()
    RunPython "import xlflow.macros; xlflow.macros.resume()"
End Sub

Sub XlflowUndoRun()
    RunPython "import xlflow.macros; xlflow.macros.undo()"
End Sub

Sub XlflowRefreshRun()
    RunPython "import xlflow.macros; xlflow.macros.refresh()"
End Sub

Sub XlflowFillFormsRun()
    RunPython "import xlflow.macros; xlflow.macros.fill_forms()"
End Sub

Sub XlflowLinkScanRun()
    RunPython "import xlflow.macros; xlflow.macros.link_scan()"
End Sub

Sub XlflowCloseRun()
    RunPython "import xlflow.macros; xlflow.macros.close()"
End Sub

Sub XlflowForwardRun()
    RunPython "import xlflow.macros; xlflow.macros.forward()"
End Sub

Sub XlflowCancelRun()
    RunPython "import xlflow.macros; xlflow.macros.cancel()"
End Sub
