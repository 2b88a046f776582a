"""`python -m headroom` runs the same CLI as the `headroom` command."""

from headroom.cli import main

main()
