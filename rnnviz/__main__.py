"""`python -m rnnviz`: the same as the `rnnviz` command."""

from rnnviz.cli import run

run()
