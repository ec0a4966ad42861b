"""`python -m corpusbot` runs the command line."""

from corpusbot.cli import main

raise SystemExit(main())
