"""Save an SVG screenshot of the viewer, for the README.

python demos/screenshot.py                       # docs/screenshot.svg: the LSTM at the second "it"
python demos/screenshot.py --model gru --compare rnn --steps 7 -o docs/compare.svg
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from rnnviz import DEMO_SENTENCE
from rnnviz.tui.app import make_app


async def shoot(out: Path, model: str, compare: str | None, steps: int, size: tuple[int, int]) -> None:
    app = make_app(model, DEMO_SENTENCE, compare=compare, size=size)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press(*["right"] * steps)
        await app.workers.wait_for_complete()
        await pilot.pause()
        out.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=out.name, path=str(out.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/screenshot.svg"))
    parser.add_argument("--model", default="lstm", help="rnn, lstm, gru or a weights file")
    parser.add_argument("--compare", help="a second model, stacked under the first")
    parser.add_argument("--steps", type=int, default=11, help="words to step (11: the second 'it')")
    parser.add_argument("--size", default="120x40", help="terminal size, WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    asyncio.run(shoot(args.output, args.model, args.compare, args.steps, (width, height)))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
