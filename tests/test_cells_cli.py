"""`rnnviz cells` on a hand-set character model saved to disk: table, tinted text, exports, pattern search."""

from __future__ import annotations

import json

import pytest
from synthetic_cells import synthetic_model, synthetic_source

from rnnviz import save
from rnnviz.analysis.char_properties import in_string
from rnnviz.cli import main


@pytest.fixture(autouse=True)
def no_debug_tracebacks(monkeypatch):
    monkeypatch.delenv("RNNVIZ_DEBUG", raising=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cells")
    text = synthetic_source(150)
    (folder / "source.py").write_text(text, encoding="utf-8")
    save(synthetic_model(text), folder / "chars.safetensors")
    return folder, text


def test_the_table_names_the_planted_units_and_the_text_is_tinted(files, capsys):
    folder, _ = files
    assert (
        main(["cells", str(folder / "chars.safetensors"), str(folder / "source.py"), "--excerpt", "80"]) == 0
    )
    out = capsys.readouterr().out
    assert "in_string" in out and "line_position" in out and "baseline" in out
    assert "1.000" in out  # the planted units score 1 held out
    assert "⏎" in out and "·" in out  # whitespace made visible in the tinted text
    assert "scale" in out  # the colour legend


def test_json_prints_nothing_but_the_results(files, capsys):
    folder, _ = files
    args = ["cells", str(folder / "chars.safetensors"), str(folder / "source.py"), "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    best = {p["name"]: p["units"][0] for p in data["properties"] if p["units"]}
    assert best["in_string"]["unit"] == "0" and best["in_string"]["score"] == 1.0
    assert best["line_position"]["unit"] == "1"


def test_show_chooses_the_property_and_svg_is_written_once(files, tmp_path, capsys):
    folder, _ = files
    svg = tmp_path / "cells.svg"
    args = ["cells", str(folder / "chars.safetensors"), str(folder / "source.py"), "--show", "in_string"]
    assert main([*args, "--svg", str(svg), "--excerpt", "60"]) == 0
    assert "unit 0 (cell) on in_string" in capsys.readouterr().out
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    assert main([*args, "--svg", str(svg)]) == 2  # an existing file needs --force
    assert "--force" in capsys.readouterr().err


def test_pattern_lists_the_units_and_matches_with_visible_whitespace(files, capsys):
    folder, text = files
    start = text.index('"')
    end = text.index('"', start + 1)
    args = [
        "cells",
        str(folder / "chars.safetensors"),
        str(folder / "source.py"),
        "--pattern",
        f"{start}:{end}",
    ]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["units"][0]["unit"] == "0" and data["matches"]
    strings = in_string(text)  # every unit chosen includes the quote unit: matches lie inside strings
    assert all(strings[m["start"] : m["end"]].all() for m in data["matches"])
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "units on across" in out and "where else" in out and "·" in out


def test_a_corpus_with_control_bytes_is_escaped(files, tmp_path, capsys):
    folder, text = files
    corpus = tmp_path / "corpus.py"
    corpus.write_text('a = "\x1b[31mred"\n' + text[:400], encoding="utf-8")
    start = text.index('"')
    end = text.index('"', start + 1)
    args = [
        "cells",
        str(folder / "chars.safetensors"),
        str(folder / "source.py"),
        "--pattern",
        f"{start}:{end}",
    ]
    main([*args, "--corpus", str(corpus)])
    captured = capsys.readouterr()
    assert "\x1b" not in captured.out + captured.err


def test_a_bad_pattern_is_one_line_and_status_2(files, capsys):
    folder, _ = files
    args = ["cells", str(folder / "chars.safetensors"), str(folder / "source.py"), "--pattern", "9-3"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "START:END" in err and "Traceback" not in err
