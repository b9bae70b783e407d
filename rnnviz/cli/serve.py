"""`rnnviz serve [WEIGHTS] [--text ...]`: the viewer in a browser, through textual-serve.

textual-serve (the optional extra `web`) runs one shell command per browser tab, with the tab's
keys on its stdin and the screen on its stdout, and ends it when the tab closes. The command is
`python -m rnnviz WEIGHTS --text ...`, the same viewer as in a terminal. The weights and the text
are checked once here, before the server starts, so a bad file is a one-line error and not a
blank page in every tab.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys
from pathlib import Path

from rnnviz.cli.options import add_text_options, add_weights_options, text_of, weights_options
from rnnviz.errors import InputError
from rnnviz.text import printable
from rnnviz.training.corpus import DEMO_SENTENCE

INSTALL_HINT = 'the browser viewer needs textual-serve: pip install "rnnviz[web]"'
# Beyond this a sentence goes to each tab's process as a file rather than on its command line
# (Linux refuses a single argument longer than 128 KiB).
MAX_INLINE_TEXT = 32_000
FILE_OPTIONS = ("vocab", "labels")  # made absolute, like the weights


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "weights", nargs="?", default="lstm", help="weights file, or rnn | lstm | gru (default lstm)"
    )
    add_text_options(parser, DEMO_SENTENCE)
    add_weights_options(parser)
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; "
        "anything else lets whoever reaches the port use the viewer)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument(
        "--public-url",
        metavar="URL",
        help="the address browsers use to reach the server, when it is not http://HOST:PORT "
        "(behind a proxy, or listening on 0.0.0.0)",
    )


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host`: localhost or a loopback address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def session_command(args: argparse.Namespace, text: str) -> str:
    """The shell command textual-serve runs for every tab: this interpreter, this package, quoted."""
    words = [sys.executable, "-m", "rnnviz", _weights_argument(args.weights)]
    text_file = getattr(args, "text_file", None)
    if text_file not in (None, "-") and len(text) > MAX_INLINE_TEXT:
        words += ["--text-file", str(Path(text_file).resolve())]
    elif len(text) > MAX_INLINE_TEXT:
        raise InputError(
            f"the text is {len(text)} characters: give it as --text-file FILE (a file, not stdin) "
            "so each browser tab can read it"
        )
    else:
        words.append(f"--text={text}")  # `=` so a text starting with - stays a value
    for name, value in weights_options(args).items():  # every option of rnnviz.load, passed on
        if value is not None:
            file_option = name in FILE_OPTIONS and Path(value).exists()
            words.append(f"--{name}={Path(value).resolve() if file_option else value}")
    return shlex.join(words)


def _weights_argument(weights: str) -> str:
    """A bundled name stays a name; a file becomes absolute, since a tab's process may start elsewhere."""
    path = Path(weights)
    return str(path.resolve()) if path.exists() else weights


def command(args: argparse.Namespace) -> int:
    if not 1 <= args.port <= 65535:
        raise InputError(f"--port {args.port}: give a port from 1 to 65535")
    text = text_of(args)
    try:
        from textual_serve.server import Server
    except ImportError:
        raise InputError(INSTALL_HINT) from None
    from rnnviz.io.weights import load

    load(args.weights, **weights_options(args)).run(text)  # fails here, not in every tab
    url = args.public_url or f"http://{_url_host(args.host)}:{args.port}"
    out = sys.stderr
    if not is_loopback(args.host):
        print(
            f"rnnviz serve: warning: listening on {printable(args.host)}: anyone who can reach port "
            f"{args.port} can use the viewer (there is no password). Use --host 127.0.0.1 to keep it local.",
            file=out,
        )
    print(f"rnnviz serve: open {printable(url)} in a browser (Ctrl+C stops the server)", file=out, flush=True)
    server = Server(
        session_command(args, text), host=args.host, port=args.port, title="rnnviz", public_url=url
    )
    server.serve()
    return 0


def _url_host(host: str) -> str:
    """An IPv6 address goes in brackets in a URL."""
    try:
        return f"[{host}]" if ipaddress.ip_address(host).version == 6 else host
    except ValueError:
        return host
