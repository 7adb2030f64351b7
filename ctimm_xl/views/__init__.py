"""Commands that present scored workbooks: export, compare, summary, portfolio.

Each module's `register(commands)` adds one subcommand to the `ctimm` parser.
Their heavy libraries (pandas, pyarrow, matplotlib) are imported inside the
command handlers, so building the parser and scoring stay free of them.
"""
