"""The exception users see for bad weights, and how any error becomes the one line they read."""


class WeightsError(ValueError):
    """A weights file, or a dict of weights, that rnnviz cannot use."""


def first_line(err: BaseException) -> str:
    """What an error says, as one line for a message bar or a red line (its type if it says nothing)."""
    text = str(err)
    return text.splitlines()[0] if text.strip() else type(err).__name__
