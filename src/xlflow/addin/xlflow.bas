Attribute VB_Name = "xlflow"
' xlflow ribbon callbacks.
'
' This is the VBA module "xlflow" of the xlflow Excel add-in. It is not meant
' to be imported by hand: `xlflow addin build` generates it into the add-in's
' VBA project (xl/vbaProject.bin), next to the xlwings module, and the ribbon
' in customUI/customUI14.xml calls one Sub per button (onAction = Sub name).
'
' Each Sub hands over to Python through xlwings RunPython; the work itself is
' done by the function of the same purpose in the Python module xlflow.macros.
' Keep this file ASCII: the VBA project is stored in code page 1252.
Option Explicit

Sub XlflowRegisterLetter(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.register_letter()"
End Sub

Sub XlflowAdvance(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.advance()"
End Sub

Sub XlflowAssignUnit(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.assign_unit()"
End Sub

Sub XlflowAssignOfficer(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.assign_officer()"
End Sub

Sub XlflowApprove(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.approve()"
End Sub

Sub XlflowSendBack(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.send_back()"
End Sub

Sub XlflowPause(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.pause()"
End Sub

Sub XlflowResume(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.resume()"
End Sub

Sub XlflowUndo(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.undo()"
End Sub

Sub XlflowRefresh(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.refresh()"
End Sub

Sub XlflowFillForms(control As IRibbonControl)
    RunPython "import xlflow.macros; xlflow.macros.fill_forms()"
End Sub
