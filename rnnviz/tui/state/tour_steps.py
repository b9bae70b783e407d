"""The guided tour's steps, measured live on the bundled models. No Textual here.

Each step is one idea, told in a sentence or two, with the views set up to show it (model, sentence,
cursor, unit order, tint, flow curves) and the numbers that prove it as measured facts. No number is
written into the text by hand: every figure below comes from running the bundled rnn, lstm and gru
when the tour starts, so a retrained model tells its own story (the wording follows the measurements
where the outcome could go either way).

The long sentence of steps 4–6 is chosen by measuring, not by hand: among demo sentences from a fixed
seed with 22–30 words between the animal and "it", the one the RNN gets wrong while the LSTM and GRU
get it right, and where the RNN's memory of the animal has faded most by "it" (swap test).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from rnnviz.analysis.counterfactual import counterfactual, state_difference
from rnnviz.analysis.flow import FlowCurve, flow_curve
from rnnviz.analysis.links import link_rows, top_links
from rnnviz.analysis.saturation import HIGH, corpus_saturation
from rnnviz.analysis.span import CHANCE, DEFAULT_BUCKETS, linked, span
from rnnviz.core.cells import GATE_NAMES, SIGMOID_GATES
from rnnviz.core.model import Model
from rnnviz.core.trace import Trace
from rnnviz.numbers import magnitude, percent, ratio
from rnnviz.training.corpus import (
    DEMO_SENTENCE,
    HELD_OUT_SEED,
    Sentence,
    generate_at_distance,
    parse,
    sound_ids,
)
from rnnviz.tui.state.flowview import bundled_model
from rnnviz.tui.state.modelview import ModelView

TOUR_SEED = HELD_OUT_SEED + 7  # held out from training, like `rnnviz span`'s sentences
LONG_DISTANCE = (22, 30)  # words between the animal and "it" in the long sentence
CANDIDATES = 40  # long sentences measured to choose one
SPAN_SENTENCES = 200  # per distance bucket, as `rnnviz span`, for the RNN's link accuracy near and far
SPAN_BUCKETS = DEFAULT_BUCKETS[:6]  # as `rnnviz span` (same seed): 0–9, 10–19, …, 50–59 words
NEAR = SPAN_BUCKETS[0]
LEVEL = 0.1  # far accuracies within this of each other: the RNN does not forget with distance
CORPUS_SENTENCES = 200  # for the LSTM's forget-gate saturation
MOVED = 0.1  # a unit "moved" when a word changed it by more than this
TOTAL = 6


@dataclass
class Models:
    rnn: Model
    lstm: Model
    gru: Model

    def __getitem__(self, name: str) -> Model:
        return getattr(self, name)


def bundled_models() -> Models:
    return Models(rnn=bundled_model("rnn"), lstm=bundled_model("lstm"), gru=bundled_model("gru"))


@dataclass
class TourStep:
    """One screen of the tour: the idea, its measured facts, and how the views are set up."""

    number: int  # 1-based
    key: str
    title: str
    text: str  # one or two sentences, true without the pictures (`rnnviz tour` as text prints it)
    facts: list[str]  # measured numbers, one line each
    views: list[ModelView]  # one panel each (two: the swap)
    cursor: int
    tint: np.ndarray | None = None  # per word up to the cursor, 0..1: how strongly to light it
    tint_label: str = ""
    order: np.ndarray | None = None  # unit order of the heatmaps (None: by index)
    selected: int = 0  # the unit the inspector shows
    show_cell: bool = True
    flow: list[FlowCurve] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)  # the raw measurements, by name
    view_note: str = ""  # how to read the views on screen (the viewer's tour only)

    @property
    def tokens(self) -> list[str]:
        return self.views[-1].tokens

    @property
    def model_name(self) -> str:
        return self.views[0].model.cell

    def as_text(self) -> str:
        """The step as plain text (for `rnnviz tour` without a terminal): no view notes, no pictures."""
        lines = [f"{self.number}/{TOTAL}  {self.title}", "", self.text, ""]
        lines += [f"  • {fact}" for fact in self.facts]
        lines += ["", f"  sentence ({self.model_name}, cursor on word {self.cursor + 1}):"]
        words = [f"[{w}]" if t == self.cursor else w for t, w in enumerate(self.tokens)]
        lines.append("    " + " ".join(words))
        return "\n".join(lines)


# -- formatting: live numbers only ----------------------------------------------------------------
def flow_trend(curve: FlowCurve) -> str:
    """How the flow changes per word back, in words: 'shrinks 2.5× a word back (−0.39 decades/word)'."""
    slope = curve.decades_per_word()
    if abs(slope) < 0.02:
        return f"stays level ({slope:+.2f} decades/word)"
    verb = "shrinks" if slope < 0 else "grows"
    return f"{verb} {10 ** abs(slope):.1f}× a word back ({slope:+.2f} decades/word)"


def quoted(word: str) -> str:
    return f"“{word}”"


def swap_left(share: float) -> str:
    """What is left of a swap later on, from ‖Δ later‖ / ‖Δ at the swap‖, in words: "the difference
    is 4× larger than at the swap" (never "397%")."""
    if share == 0:
        return "the two states are identical again: no trace of the swap"
    compared = ratio(share, 1.0)
    link = "as" if compared == "about the same" else "than"
    return f"the states' difference is {compared} {link} at the swap"


# -- measurements shared by steps -----------------------------------------------------------------
def sound_share(model: Model, trace: Trace, t: int, animal: str) -> float:
    """Probability of the animal's sounds as the word after t."""
    ids = sound_ids(model.vocab_index)[animal]
    return float(trace.probs[t, ids].sum()) if trace.probs is not None and ids else 0.0


def swap_word(subject: str) -> str:
    """The animal the swap puts in the subject's place."""
    return "cat" if subject != "cat" else "dog"


def persistence_at(original: Trace, swapped: Trace, position: int, at: int, state: str = "hidden") -> float:
    """‖Δstate at `at`‖ / ‖Δstate at `position`‖ for a swap at `position`."""
    difference = state_difference(original, swapped, position, state=state)
    first = float(difference.norm[0])
    return float(difference.norm[at - position]) / first if first > 0 else 0.0


def swap_tint(
    original: Trace, swapped: Trace, position: int, cursor: int, state: str = "hidden"
) -> np.ndarray:
    """Per word, how much of the swap is still in the state: ‖Δ_t‖ / ‖Δ at the swap‖, capped at 1."""
    difference = state_difference(original, swapped, position, state=state)
    tint = np.zeros(cursor + 1)
    first = float(difference.norm[0])
    if first > 0:
        tint[position:] = np.minimum(difference.norm[: cursor + 1 - position] / first, 1.0)
    return tint


def kept_through(gate: np.ndarray, start: int, stop: int) -> np.ndarray:
    """(H,) product of a keeping gate (LSTM forget, GRU update) over words start..stop: the share of
    a unit's value at start − 1 still there at stop."""
    return np.prod(gate[start : stop + 1].astype(np.float64), axis=0)


def choose_long_sentence(models: Models, seed: int = TOUR_SEED) -> Sentence:
    """The long sentence of steps 4–6, by measuring (see the module docstring)."""
    sentences = generate_at_distance(LONG_DISTANCE, CANDIDATES, seed, distractor_fraction=0.0)
    right = {name: linked(models[name], sentences) for name in ("rnn", "lstm", "gru")}
    gated_right = right["lstm"] & right["gru"]
    wanted = [k for k in range(len(sentences)) if gated_right[k] and not right["rnn"][k]]
    pool = wanted or [k for k in range(len(sentences)) if gated_right[k]] or list(range(len(sentences)))

    def rnn_memory(k: int) -> float:
        s = sentences[k]
        original, swapped = counterfactual(models.rnn, s.tokens, s.subject_index, swap_word(s.subject))
        return persistence_at(original, swapped, s.subject_index, s.it_index)

    return sentences[min(pool, key=rnn_memory)]


# -- the steps ------------------------------------------------------------------------------------
def step_memory(models: Models) -> TourStep:
    model = models.lstm
    trace = model.run(DEMO_SENTENCE)
    subject = parse(trace.tokens)
    t = subject.subject_index
    change = trace.hidden[-1, t] - trace.hidden[-1, t - 1]
    moved = int(np.count_nonzero(np.abs(change) > MOVED))
    unit = int(np.argmax(np.abs(change)))
    before, after = float(trace.hidden[-1, t - 1, unit]), float(trace.hidden[-1, t, unit])
    units = trace.hidden_size
    word = quoted(trace.tokens[t])
    return TourStep(
        number=1,
        key="memory",
        title="The hidden state is the network's memory",
        text=(
            f"A recurrent network reads one word at a time and keeps what it has read in its hidden "
            f"state: {units} numbers, updated at every word. Nothing else carries the sentence forward."
        ),
        facts=[
            f"reading {word} moved {moved} of the {units} numbers by more than {MOVED:g}",
            f"unit {unit} moved most: {before:+.2f} → {after:+.2f}",
        ],
        view_note=f"rows below: units (two per screen row), columns: words; the inspector shows unit {unit}",
        views=[ModelView("lstm", model, trace)],
        cursor=t,
        selected=unit,
        numbers={"units": units, "moved": moved, "unit": unit, "before": before, "after": after},
    )


def step_link(models: Models) -> TourStep:
    model = models.lstm
    trace = model.run(DEMO_SENTENCE)
    sentence = parse(trace.tokens)
    it, subject = sentence.it_index, sentence.subject
    (first, p1), (second, p2) = trace.top_next(it, 2)
    share = sound_share(model, trace, it, subject)
    row = link_rows(model, trace, [it])[0]
    strongest = top_links(row[: it + 1], trace.tokens, 3)
    links = ", ".join(f"{quoted(w)} {percent(s)}" for _, w, s in strongest)
    rank = int(np.count_nonzero(row > row[sentence.subject_index]))
    back = it - sentence.subject_index
    return TourStep(
        number=2,
        key="link",
        title=f"{quoted('it')} remembers {quoted(subject)}",
        text=(
            f"After the second {quoted('it')} the network must say what {quoted('it')} does, and that "
            f"depends on a word {back} words back. Hiding each earlier word in turn (occlusion) and "
            "measuring how much the prediction changes shows which words it rests on."
        ),
        view_note="the sentence lights the words the prediction rests on, the strongest brightest",
        facts=[
            f"next word after {quoted('it')}: {quoted(first)} {percent(p1)}, {quoted(second)} {percent(p2)}"
            f" · all of the {subject}'s sounds: {percent(share)}",
            f"the prediction rests on {links}"
            + (
                f" · {quoted(subject)} ranks first" if rank == 0 else f" · {quoted(subject)} ranks {rank + 1}"
            ),
        ],
        views=[ModelView("lstm", model, trace)],
        cursor=it,
        tint=row[: it + 1] / max(float(row[: it + 1].max()), 1e-12),
        tint_label="how much the prediction after the cursor rests on each word (occlusion)",
        numbers={
            "top_p": p1,
            "second_p": p2,
            "subject_share": share,
            "subject_link": float(row[sentence.subject_index]),
            "subject_rank": rank,
        },
    )


def step_swap(models: Models) -> TourStep:
    model = models.lstm
    sentence = parse(DEMO_SENTENCE)
    it, position, subject = sentence.it_index, sentence.subject_index, sentence.subject
    new = swap_word(subject)
    original, swapped = counterfactual(model, DEMO_SENTENCE, position, new)
    before_old, after_old = (
        sound_share(model, original, it, subject),
        sound_share(model, swapped, it, subject),
    )
    before_new, after_new = sound_share(model, original, it, new), sound_share(model, swapped, it, new)
    (top, p_top), *_ = swapped.top_next(it, 1)
    kept = persistence_at(original, swapped, position, it)
    follows = after_new > before_new and after_new > after_old
    at_it = np.abs(state_difference(original, swapped, position).per_unit[it - position])
    order = np.argsort(-at_it, kind="stable")
    return TourStep(
        number=3,
        key="swap",
        title=f"Swap {quoted(subject)} for {quoted(new)}: the prediction follows",
        text=(
            f"Change one word and run the sentence again: if the state really carries {quoted(subject)}, "
            f"the guess after {quoted('it')} must change with it."
        ),
        view_note=f"above: the {subject} sentence, below: the {new} one; the most changed units first",
        facts=[
            f"after {quoted('it')}: the {subject}'s sounds {percent(before_old)} → {percent(after_old)}, "
            f"the {new}'s {percent(before_new)} → {percent(after_new)} (now {quoted(top)} {percent(p_top)})"
            + ("" if follows else " — here the prediction does not follow"),
            f"{it - position} words on, {swap_left(kept)}",
        ],
        views=[ModelView(f"lstm · {subject}", model, original), ModelView(f"lstm · {new}", model, swapped)],
        cursor=it,
        tint=swap_tint(original, swapped, position, it),
        tint_label=f"how much of the {subject} → {new} swap the state still holds (‖Δh‖ / ‖Δh at the swap‖)",
        show_cell=False,
        order=order,
        selected=int(order[0]),
        numbers={
            "old_before": before_old,
            "old_after": after_old,
            "new_before": before_new,
            "new_after": after_new,
            "persistence": kept,
        },
    )


@dataclass
class LongSentence:
    """The long sentence read by one model, with the swap test and the gradient flow at "it"."""

    sentence: Sentence
    model: Model
    trace: Trace
    swapped: Trace
    new: str
    flow: list[FlowCurve]

    @classmethod
    def measure(cls, model: Model, sentence: Sentence) -> LongSentence:
        new = swap_word(sentence.subject)
        original, swapped = counterfactual(model, sentence.tokens, sentence.subject_index, new)
        curves = [flow_curve(model, original, sentence.it_index, label=f"{model.cell} h")]
        if model.cell == "lstm":
            curves.append(flow_curve(model, original, sentence.it_index, of="cell", label="lstm c"))
        return cls(sentence, model, original, swapped, new, curves)

    @property
    def it(self) -> int:
        return self.sentence.it_index

    @property
    def back(self) -> int:
        """Words from the subject to "it" (the flow's distance between them)."""
        return self.sentence.it_index - self.sentence.subject_index

    def persistence(self, state: str = "hidden") -> float:
        return persistence_at(self.trace, self.swapped, self.sentence.subject_index, self.it, state)

    def subject_share(self) -> float:
        return sound_share(self.model, self.trace, self.it, self.sentence.subject)

    def tint(self, state: str = "hidden") -> np.ndarray:
        return swap_tint(self.trace, self.swapped, self.sentence.subject_index, self.it, state)

    def keeping_units(self, gate: str, state: str) -> tuple[np.ndarray, np.ndarray]:
        """Units by how well they keep the subject across the gap, best first — (share kept through
        the gap) × (swap difference at "it") — and every unit's share kept."""
        s = self.sentence
        kept = kept_through(self.trace.gates[gate][-1], s.subject_index + 1, self.it)
        difference = state_difference(self.trace, self.swapped, s.subject_index, state=state)
        carried = np.abs(difference.per_unit[self.back])
        return np.argsort(-(kept * carried), kind="stable"), kept


def _flow_line(curve: FlowCurve, back: int, subject: str) -> str:
    state = "c" if curve.of == "cell" else "h"
    path = " along the cell state" if curve.of == "cell" else ""
    return (
        f"the {curve.cell.upper()}'s gradient flow{path} {flow_trend(curve)}: "
        f"‖∂{state}(it)/∂{state}({subject})‖ is {magnitude(curve.at(back))}"
    )


def span_verdict(near: float, far: list[float]) -> str:
    """What the RNN's accuracy by distance says, in words that follow the measurement."""
    low, high = min(far), max(far)
    if high - low <= LEVEL and high < near:
        return (
            "it does not forget more with distance — it never learned to carry the animal past the "
            "nearest words, because the gradient that would teach it vanishes on the way back"
        )
    if far[-1] < far[0] - LEVEL:
        return "its accuracy keeps falling as the animal moves further back"
    return "its accuracy does not depend on the distance in any simple way"


def step_rnn(models: Models, sentence: Sentence) -> TourStep:
    run = LongSentence.measure(models.rnn, sentence)
    subject, new, back = sentence.subject, run.new, run.back
    share = run.subject_share()
    kept = run.persistence()
    (top, p_top), *_ = run.trace.top_next(run.it, 1)
    accuracy = span(models.rnn, n_per_bucket=SPAN_SENTENCES, buckets=SPAN_BUCKETS).accuracy
    near, far = accuracy[0], accuracy[1:]
    far_from, far_to = SPAN_BUCKETS[1][0], SPAN_BUCKETS[-1][1]
    mine = next(k for k, (lo, hi) in enumerate(SPAN_BUCKETS) if lo <= sentence.distance <= hi)
    right = bool(linked(models.rnn, [sentence])[0])
    flow = run.flow[0]
    return TourStep(
        number=4,
        key="rnn",
        title="A long sentence: the plain RNN does not carry the animal",
        text=(
            f"Now {quoted(subject)} has to cross {sentence.distance} words to reach {quoted('it')}. The "
            "plain RNN rewrites its whole state at every word. Over "
            f"{SPAN_SENTENCES} sentences per distance it names the right animal {percent(near)} of the "
            f"time when the animal is {NEAR[0]}–{NEAR[1]} words back, and {percent(min(far))}–"
            f"{percent(max(far))} at every distance from {far_from} to {far_to} words (chance: "
            f"one in {round(1 / CHANCE)}): {span_verdict(near, far)}."
        ),
        facts=[
            f"after {quoted('it')}: {quoted(top)} {percent(p_top)}; the {subject}'s sounds {percent(share)}"
            + (" (wrong animal)" if not right else " (still right here)"),
            f"swap {subject} → {new}: at {quoted('it')} {swap_left(kept)}",
            _flow_line(flow, back, subject),
            "right animal by distance: "
            + ", ".join(
                f"{lo}–{hi} words {percent(a)}" for (lo, hi), a in zip(SPAN_BUCKETS, accuracy, strict=True)
            ),
        ],
        views=[ModelView("rnn", run.model, run.trace)],
        cursor=run.it,
        tint=run.tint(),
        tint_label=f"how much of the {subject} → {new} swap the state still holds at each word",
        flow=run.flow,
        view_note="below the heatmap: the gradient flow at the cursor, by distance back (log scale)",
        numbers={
            "subject_share": share,
            "persistence": kept,
            "decades_per_word": flow.decades_per_word(),
            "flow_at_subject": flow.at(back),
            "near_accuracy": near,
            "far_accuracy": accuracy[mine],
            "far_lowest": min(far),
            "far_highest": max(far),
            "right": float(right),
        },
    )


def step_lstm(models: Models, sentence: Sentence, rnn_flow: FlowCurve) -> TourStep:
    run = LongSentence.measure(models.lstm, sentence)
    subject, new, back = sentence.subject, run.new, run.back
    share = run.subject_share()
    order, kept = run.keeping_units("forget", "cell")
    unit = int(order[0])
    forget = run.trace.gates["forget"][-1][sentence.subject_index + 1 : run.it + 1, unit]
    cells = state_difference(run.trace, run.swapped, sentence.subject_index, state="cell").per_unit
    at_swap, at_it = float(abs(cells[0, unit])), float(abs(cells[back, unit]))
    hidden_flow, cell_flow = run.flow
    saturation = corpus_saturation(models.lstm, n=CORPUS_SENTENCES).gates["forget"]
    open_units = saturation.mostly_right()
    return TourStep(
        number=5,
        key="lstm",
        title="The LSTM's forget gate keeps the animal",
        text=(
            "The LSTM adds a cell state c and a forget gate that decides, unit by unit and word by word, "
            f"how much of c to keep. Where it stays open, c carries {quoted(subject)} across the gap and "
            "the gradient flows back along it."
        ),
        facts=[
            f"after {quoted('it')}: the {subject}'s sounds {percent(share)}",
            f"unit {unit}: forget gate {forget.mean():.3f} on average to {quoted('it')}, keeps "
            f"{percent(float(kept[unit]))} of c; swap {subject} → {new} moves c {at_swap:.2f} → {at_it:.2f}",
            f"gradient flow along c {flow_trend(cell_flow)}: ‖∂c(it)/∂c({subject})‖ is "
            f"{magnitude(cell_flow.at(back))}; along h {hidden_flow.decades_per_word():+.2f}, "
            f"rnn {rnn_flow.decades_per_word():+.2f}",
            f"{open_units} of {len(kept)} forget-gate units are open (> {HIGH:g}) most of the time over "
            f"{CORPUS_SENTENCES} corpus sentences",
        ],
        views=[ModelView("lstm", run.model, run.trace)],
        cursor=run.it,
        tint=run.tint("cell"),
        tint_label=f"how much of the {subject} → {new} swap the cell state still holds at each word",
        view_note=f"units that keep the animal best first, unit {unit} selected; below: the flow curves",
        order=order,
        selected=unit,
        flow=[rnn_flow, *run.flow],
        numbers={
            "subject_share": share,
            "unit": unit,
            "forget_mean": float(forget.mean()),
            "kept": float(kept[unit]),
            "cell_at_swap": at_swap,
            "cell_at_it": at_it,
            "cell_decades_per_word": cell_flow.decades_per_word(),
            "hidden_decades_per_word": hidden_flow.decades_per_word(),
            "open_units": open_units,
            "persistence": run.persistence("cell"),
        },
    )


def step_gru(models: Models, sentence: Sentence, earlier: list[FlowCurve]) -> TourStep:
    run = LongSentence.measure(models.gru, sentence)
    subject, new, back = sentence.subject, run.new, run.back
    share = run.subject_share()
    order, kept = run.keeping_units("update", "hidden")
    unit = int(order[0])
    update = run.trace.gates["update"][-1][sentence.subject_index + 1 : run.it + 1, unit]
    persistence = run.persistence()
    gates = {cell: [g for g in GATE_NAMES[cell] if g in SIGMOID_GATES] for cell in ("lstm", "gru")}
    flow = run.flow[0]
    return TourStep(
        number=6,
        key="gru",
        title="The GRU does the same with fewer gates",
        text=(
            f"The GRU has no separate cell and {len(gates['gru'])} gates ({', '.join(gates['gru'])}) where "
            f"the LSTM has {len(gates['lstm'])}. Its update gate blends the old state with a new candidate: "
            "where it stays high the unit keeps its value, so the hidden state itself carries the animal."
        ),
        facts=[
            f"after {quoted('it')}: the {subject}'s sounds {percent(share)}",
            f"unit {unit}: update gate {update.mean():.3f} on average up to {quoted('it')}, "
            f"{percent(float(kept[unit]))} of its value kept in all",
            f"swap {subject} → {new}: at {quoted('it')} {swap_left(persistence)}",
            _flow_line(flow, back, subject),
        ],
        views=[ModelView("gru", run.model, run.trace)],
        cursor=run.it,
        tint=run.tint(),
        tint_label=f"how much of the {subject} → {new} swap the state still holds at each word",
        view_note=f"units that keep the animal best first, unit {unit} selected; below: all three flows",
        order=order,
        selected=unit,
        flow=[*earlier, flow],
        numbers={
            "subject_share": share,
            "unit": unit,
            "update_mean": float(update.mean()),
            "kept": float(kept[unit]),
            "persistence": persistence,
            "decades_per_word": flow.decades_per_word(),
        },
    )


def build_steps(models: Models | None = None) -> Iterator[TourStep]:
    """The tour's steps in order, each measured when it is reached (the first appears at once)."""
    models = models or bundled_models()
    yield step_memory(models)
    yield step_link(models)
    yield step_swap(models)
    sentence = choose_long_sentence(models)
    rnn = step_rnn(models, sentence)
    yield rnn
    lstm = step_lstm(models, sentence, rnn.flow[0])
    yield lstm
    yield step_gru(models, sentence, lstm.flow)
