"""expense: a command-line expense tracker for freelancers, kept in one SQLite file."""

__version__ = "0.1.0"
