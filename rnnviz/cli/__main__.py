"""`python -m rnnviz.cli`: the same as the `rnnviz` command."""

from rnnviz.cli import run

run()
