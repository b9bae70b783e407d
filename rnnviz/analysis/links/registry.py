"""The links methods: one `LinkMethod` spec each, found through one table, `METHODS`.

A method is a function that scores, for target positions t, how much the prediction after t depends
on each word s ≤ t (`rows`; `link_rows` normalizes the rows to sum to 1), the multiply-adds that costs
(`cost`, which the viewer uses to decide whether a row may run on the keypress), and which models it
applies to (`supports`), and, where the link of each word is computed on its own, a row piece by
piece (`piece`). Everything that lists, prices or explains the methods reads this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import InputError

# rows(model, trace, targets, window, steps) → (len(targets), T): unnormalized links of each target;
# targets are sorted and distinct, the arguments already checked.
Rows = Callable[[Model, Trace, np.ndarray, int, int], np.ndarray]
# cost(model, window, rows) → estimated multiply-adds of `rows` rows that each look `window` words back.
Cost = Callable[[Model, float, int], float]
# piece(model, trace, target, first, stop, should_stop) → (stop − first,) unnormalized links of target
# from the sources first ≤ s < stop only, on the scale of `rows`; None once should_stop() said so.
Piece = Callable[[Model, Trace, int, int, int, Callable[[], bool] | None], np.ndarray | None]


def any_model(model: Model) -> str | None:
    """`supports` of a method that applies to every model."""
    return None


@dataclass(frozen=True)
class LinkMethod:
    """A links method: its name, one line for help texts, and its rows, cost model and scope."""

    name: str
    summary: str  # one line: what the method measures
    rows: Rows
    cost: Cost
    supports: Callable[[Model], str | None] = any_model  # None, or why the method does not apply
    # A method whose link of s does not depend on the other sources can compute a row in pieces
    # (the viewer extends a row backwards that way); its piece costs cost(t − first + 1) − cost(t − stop + 1).
    piece: Piece | None = None


METHODS: dict[str, LinkMethod] = {}  # in the order help texts and the viewer's `l` key list them


def register(method: LinkMethod) -> LinkMethod:
    """Add a method to the table (after the others); a name can be registered once."""
    if method.name in METHODS:
        raise ValueError(f"a links method named {method.name!r} is already registered")
    METHODS[method.name] = method
    return method


def unregister(name: str) -> None:
    """Take a method out of the table again (tests that register a toy method)."""
    METHODS.pop(name, None)


def method_spec(name: str) -> LinkMethod:
    """The spec of a method by name, or an InputError that lists the names there are."""
    try:
        return METHODS[name]
    except (KeyError, TypeError):
        raise InputError(f"unknown links method {name!r}: use one of {', '.join(METHODS)}") from None


def methods_for(model: Model) -> tuple[str, ...]:
    """The methods that apply to this model, default first."""
    return tuple(name for name, spec in METHODS.items() if spec.supports(model) is None)
