"""`python -m expense_cli` runs the command line."""

from expense_cli.cli.app import main

main()
