"""`python -m lossdoctor` runs the same CLI as the console script."""

from lossdoctor.cli import main

main()
