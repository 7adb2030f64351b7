"""VBA and ribbon sources of the macro-enabled workbook, and the project builder."""
