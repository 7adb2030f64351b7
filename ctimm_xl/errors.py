"""The exceptions of ctimm-xl. The CLI prints them as one `Error: …` line."""

from __future__ import annotations


class CtimmError(Exception):
    """Base of every error that ctimm-xl reports to the user.

    The message names the file (and sheet and cell where there is one), what
    is wrong, and what to do about it.
    """

    exit_code = 1


class WorkbookError(CtimmError):
    """The workbook cannot be read: not a workbook, damaged, encrypted or unsafe."""


class LayoutError(CtimmError):
    """The workbook is readable but contains no usable control table."""


class OutputError(CtimmError):
    """The result cannot be written: locked, read-only or a name clash."""


class UsageError(CtimmError):
    """The command line asks for something contradictory."""

    exit_code = 2
