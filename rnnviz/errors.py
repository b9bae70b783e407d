"""The exceptions users see, and how any error becomes the one line they read.

Every error rnnviz raises for something a user gave it (a file, a text, an option) is an
`RnnvizError`: boundaries (the CLI, the viewer's panels) catch that type only, so a programming
error still shows as a traceback instead of a grey note. Both kinds stay `ValueError`s, as the
public API has always promised.
"""


class RnnvizError(ValueError):
    """Something a user gave rnnviz that it cannot use; the message says what and what to do."""


class WeightsError(RnnvizError):
    """A weights file, or a dict of weights, that rnnviz cannot use."""


class InputError(RnnvizError):
    """A text, an option or an argument that rnnviz cannot use (empty text, unknown words, a bad range)."""


def first_line(err: BaseException) -> str:
    """What an error says, as one line for a message bar or a red line (its type if it says nothing)."""
    text = str(err)
    return text.splitlines()[0] if text.strip() else type(err).__name__
