"""rnnviz: watch what a recurrent network remembers.

import rnnviz
model = rnnviz.load("lstm")
trace = model.run("the cat sat on the mat because it was tired and it meowed .")
"""

from rnnviz.analysis.counterfactual import counterfactual
from rnnviz.analysis.flow import gradient_flow
from rnnviz.analysis.links import links
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.errors import WeightsError
from rnnviz.io.weights import load, save
from rnnviz.notebook import show  # also lets Model and Trace draw themselves in a notebook
from rnnviz.training.corpus import DEMO_SENTENCE

__all__ = [
    "DEMO_SENTENCE",
    "Model",
    "Trace",
    "WeightsError",
    "counterfactual",
    "gradient_flow",
    "links",
    "load",
    "save",
    "show",
]
__version__ = "0.1.0"
