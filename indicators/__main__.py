"""`python -m indicators …` is the same as `dem …`."""

from indicators.cli import main

main()
