"""Limits that protect ctimm-xl from damaged and hostile workbooks.

Each value is checked before the work it guards is done, and each error that
a limit raises names the limit and the value found.
"""

# One part of the package, once inflated. The largest part of a real
# assessment is a sheet of a few thousand rows (well under 5 MiB); 100 MiB
# still admits a sheet of about a million filled cells.
MAX_PART_BYTES = 100 * 1024 * 1024

# All parts together, once inflated: five maximal parts and then some.
MAX_PACKAGE_BYTES = 500 * 1024 * 1024

# Parts in one package. Excel writes a few per sheet; a real assessment has
# dozens, and even the largest workbooks stay in the low thousands.
MAX_PARTS = 10_000

# Inflated size ÷ compressed size for one part. XML packs well (a sheet of
# repeated rows reaches about 100:1), but a ratio past 1,000:1 only comes
# from a crafted part.
MAX_COMPRESSION_RATIO = 1_000

# Rows read from one sheet. The full model has 217 controls and the ID scheme
# allows 1,950; 200,000 rows leaves room for notes and copies while keeping a
# run under a minute on a laptop.
MAX_ROWS_PER_SHEET = 200_000

# The last row number of a sheet in Excel 2007 and later. A larger row
# number only comes from a damaged or crafted sheet.
MAX_ROW_NUMBER = 1_048_576

# Characters in one cell, which is what Excel itself allows.
MAX_CELL_CHARS = 32_767
