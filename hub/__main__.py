"""`python -m hub` is the `switchboard` command (used by `switchboard up` to start its parts)."""

from hub.cli import main

main(prog_name="switchboard")
