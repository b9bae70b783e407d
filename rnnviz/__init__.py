"""rnnviz: watch what a recurrent network remembers.

import rnnviz
model = rnnviz.load("lstm")
trace = model.run("the cat sat on the mat because it was tired and it meowed .")
"""

from .corpus import DEMO_SENTENCE
from .counterfactual import counterfactual
from .errors import WeightsError
from .flow import gradient_flow
from .memory import links
from .model import Model
from .trace import Trace
from .weights import load, save

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
]
__version__ = "0.1.0"
