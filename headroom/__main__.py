"""`python -m headroom` runs the same CLI as the `headroom` command."""

from headroom.entry import main

main()
