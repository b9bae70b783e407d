"""The "by memory" unit order: units that best tell the subject animal at "it" first. No Textual here.

The ranking (rnnviz.analysis.units.memory_unit_ranking) runs a few hundred demo sentences, too slow for a
keypress, so the app computes it in a worker (`compute_ranking`) the first time a model is sorted
this way and keeps it per (model, layer); until then, and for models that cannot be ranked (a
vocabulary without the demo's animals), `by_memory` keeps index order.
"""

from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

import numpy as np

from rnnviz.analysis.units import memory_unit_ranking
from rnnviz.core.model import Model
from rnnviz.errors import RnnvizError, first_line
from rnnviz.tui.state.modelview import ModelView

# model -> {layer: ranking, or the one-line reason it has none}; weak keys, so a model the app
# drops is not kept alive by its ranking.
_rankings: WeakKeyDictionary[Model, dict[int, np.ndarray | str]] = WeakKeyDictionary()
_lock = threading.Lock()  # written from worker threads, read on the event loop


def _layer(model: Model, layer: int) -> int:
    return layer % model.num_layers


def cached_ranking(model: Model, layer: int = -1) -> np.ndarray | str | None:
    """The ranking of a model's layer, the reason it has none, or None when not computed yet."""
    with _lock:
        return _rankings.get(model, {}).get(_layer(model, layer))


def compute_ranking(model: Model, layer: int = -1) -> np.ndarray | str:
    """Rank the units (slow: call from a worker) and keep the result; a ValueError becomes its message."""
    found = cached_ranking(model, layer)
    if found is not None:
        return found
    try:
        result: np.ndarray | str = memory_unit_ranking(model, layer=layer)
    except RnnvizError as err:
        result = first_line(err)
    with _lock:
        _rankings.setdefault(model, {})[_layer(model, layer)] = result
    return result


def by_memory(view: ModelView, cursor: int) -> np.ndarray:
    """The cached memory ranking of the view's layer; index order while it is missing."""
    ranking = cached_ranking(view.model, view.layer)
    if isinstance(ranking, np.ndarray) and len(ranking) == view.units:
        return ranking
    return np.arange(view.units)
