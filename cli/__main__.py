"""`python -m cli` is the same as the `memgrid` command."""

from cli.app import main

main()
