"""Regenerate the README's pictures from the current app and renderer, so they never go stale.

python demos/docs_pictures.py            # docs/screenshot.svg (the viewer) and docs/render.svg

The viewer is shot at 120×40 on the bundled LSTM at the second "it" (word 12), once every worker has
settled; the picture is `rnnviz render --at 12 --links` exported as SVG. tests/test_docs_pictures.py
fails when the screenshot's footer no longer lists the app's keys: run this script then.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path

from rnnviz import DEMO_SENTENCE
from rnnviz.bench.settle import settle
from rnnviz.cli import main as rnnviz_main
from rnnviz.tui.app import make_app

DOCS = Path(__file__).resolve().parent.parent / "docs"
SIZE = (120, 40)
WORD = 12  # the second "it", counted from 1 as the viewer and `rnnviz render --at` count


async def shoot_viewer(out: Path) -> None:
    app = make_app("lstm", DEMO_SENTENCE, size=SIZE)
    async with app.run_test() as pilot:
        await settle(pilot)
        await pilot.press(*["right"] * (WORD - 1))
        await settle(pilot)
        out.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=out.name, path=str(out.parent))


def main() -> None:
    screenshot, picture = DOCS / "screenshot.svg", DOCS / "render.svg"
    asyncio.run(shoot_viewer(screenshot))
    print(f"wrote {screenshot}")
    with contextlib.redirect_stdout(io.StringIO()):  # the picture is also printed: keep it off the terminal
        status = rnnviz_main(["render", "--at", str(WORD), "--links", "--svg", str(picture), "--force"])
    if status:
        raise SystemExit(status)


if __name__ == "__main__":
    main()
