"""`rnnviz tour`: the guided tour on the bundled models.

In a terminal it opens the viewer with the tour on top (escape or q quits, enter explores a step in
the viewer). Without one (a pipe, CI) it prints the steps as text, with the same live numbers.
"""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--text-only", action="store_true", help="print the steps as text instead of opening the viewer"
    )


def command(args: argparse.Namespace) -> int:
    if args.text_only or not (sys.stdin.isatty() and sys.stdout.isatty()):
        return print_tour()
    from rnnviz.tui.app import make_app  # Textual is imported only when the viewer opens
    from rnnviz.tui.screens.tour import open_tour

    app = make_app("lstm")

    async def start(pilot) -> None:
        # Textual's auto_pilot hook runs once the app is ready: the tour opens over the viewer.
        open_tour(pilot.app, quit_on_leave=True)

    app.run(auto_pilot=start)
    return app.return_code if app.return_code is not None else 0


def print_tour() -> int:
    """The steps as text, each printed as soon as it is measured."""
    import os

    from rnnviz.tui.state.tour_steps import build_steps

    try:
        print("rnnviz tour, as text (in a terminal `rnnviz tour` shows the views).\n", flush=True)
        for step in build_steps():
            print(step.as_text(), end="\n\n", flush=True)
    except BrokenPipeError:  # the reader stopped early (`| head`): that is not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
    return 0
