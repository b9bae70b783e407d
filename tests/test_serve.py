"""`rnnviz serve` without a browser: the command each tab runs, the address, the warnings, the errors.

The server itself is replaced by a recorder here; tests/test_serve_browser.py runs the real one.
"""

from __future__ import annotations

import shlex
import sys
import types

import pytest

from rnnviz.cli import main
from rnnviz.cli import serve as serve_cli
from rnnviz.cli.view import has_terminal


class RecordingServer:
    made: list[RecordingServer] = []

    def __init__(self, command: str, host: str, port: int, title: str, public_url: str):
        self.command, self.host, self.port, self.public_url = command, host, port, public_url
        self.served = False
        RecordingServer.made.append(self)

    def serve(self) -> None:
        self.served = True


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> type[RecordingServer]:
    RecordingServer.made = []
    fake = types.ModuleType("textual_serve.server")
    fake.Server = RecordingServer  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "textual_serve.server", fake)
    return RecordingServer


def test_binds_to_loopback_by_default_and_prints_the_address(recorder, capsys):
    assert main(["serve", "--port", "8123"]) == 0
    (server,) = recorder.made
    assert server.served and server.host == "127.0.0.1" and server.port == 8123
    err = capsys.readouterr().err
    assert "http://127.0.0.1:8123" in err
    assert "warning" not in err


def test_each_tab_runs_the_viewer_with_the_text_quoted_for_the_shell(recorder):
    hostile = 'it\'s $(touch pwned) `x` ; echo "hi" -- --text -x'
    assert main(["serve", "gru", "--text", hostile]) == 0
    words = shlex.split(recorder.made[0].command)
    assert words == [sys.executable, "-m", "rnnviz", "gru", f"--text={hostile}"]


def test_a_weights_file_and_vocab_become_absolute_paths(recorder, tmp_path, monkeypatch):
    import rnnviz

    rnnviz.save(rnnviz.load("rnn"), tmp_path / "my model.safetensors")
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "my model.safetensors", "--text", "the cat sat ."]) == 0
    words = shlex.split(recorder.made[0].command)
    assert words[3] == str(tmp_path / "my model.safetensors")


def test_the_weights_options_go_to_every_tab(recorder, tmp_path, monkeypatch):
    import rnnviz

    (tmp_path / "words.txt").write_text("\n".join(rnnviz.load("lstm").vocab), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    argv = ["serve", "lstm", "--text", "the cat .", "--tokenizer", "whitespace", "--vocab", "words.txt"]
    assert main(argv) == 0
    words = shlex.split(recorder.made[0].command)
    assert "--tokenizer=whitespace" in words
    assert f"--vocab={tmp_path / 'words.txt'}" in words


def test_another_host_needs_asking_and_warns(recorder, capsys):
    assert main(["serve", "--host", "0.0.0.0", "--public-url", "http://box:8000"]) == 0
    assert recorder.made[0].host == "0.0.0.0"
    assert recorder.made[0].public_url == "http://box:8000"
    err = capsys.readouterr().err
    assert "warning" in err and "anyone who can reach port 8000" in err


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_hosts_do_not_warn(host):
    assert serve_cli.is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org"])
def test_other_hosts_are_not_loopback(host):
    assert not serve_cli.is_loopback(host)


def test_bad_weights_fail_before_the_server_starts(recorder, tmp_path, capsys):
    missing = tmp_path / "no such.safetensors"
    assert main(["serve", str(missing)]) == 2
    assert recorder.made == []
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1


def test_a_bad_port_is_one_line(recorder, capsys):
    assert main(["serve", "--port", "0"]) == 2
    assert "--port 0" in capsys.readouterr().err


def test_without_the_extra_the_error_names_the_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # import fails
    assert main(["serve"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert 'pip install "rnnviz[web]"' in err


def test_the_viewer_runs_under_textual_serve_without_a_terminal(monkeypatch):
    """textual-serve talks to the app over pipes and names the driver: the app must start, not print."""
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    assert has_terminal()
    monkeypatch.delenv("TEXTUAL_DRIVER")
    assert not has_terminal()  # pytest's stdin is not a terminal
