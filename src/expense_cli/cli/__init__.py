"""The Typer command tree: parse options, call the domain, render. No SQL, no rules."""
