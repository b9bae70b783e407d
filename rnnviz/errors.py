"""The exception users see for bad weights: one line that says what is wrong and what to do."""


class WeightsError(ValueError):
    """A weights file, or a dict of weights, that rnnviz cannot use."""
