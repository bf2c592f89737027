"""``python -m wsrs``: the command line of `wsrs.cli`."""

from wsrs.cli import main

main()
