Attribute VB_Name = "CTIMM"
' Handlers of the CTI-MM ribbon tab. Each hands the click to Python
' (ctimm_xl.excel) through xlwings' RunPython, where the work is done
' and any error is shown to the user.
Option Explicit

Public Sub CTIMM_Score(control As IRibbonControl)
    RunPython "import ctimm_xl.excel; ctimm_xl.excel.score()"
End Sub

Public Sub CTIMM_Roadmap(control As IRibbonControl)
    RunPython "import ctimm_xl.excel; ctimm_xl.excel.roadmap()"
End Sub

Public Sub CTIMM_Check(control As IRibbonControl)
    RunPython "import ctimm_xl.excel; ctimm_xl.excel.check()"
End Sub

Public Sub CTIMM_ClearFlags(control As IRibbonControl)
    RunPython "import ctimm_xl.excel; ctimm_xl.excel.clear_flags()"
End Sub

Public Sub CTIMM_Help(control As IRibbonControl)
    RunPython "import ctimm_xl.excel; ctimm_xl.excel.show_help()"
End Sub
