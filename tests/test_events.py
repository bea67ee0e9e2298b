"""Typed job events: what work publishes is what a page reads back, field for field."""

import json

from core import events
from core.events import Batch, Epoch, Note, Plan, Saved, from_json


def test_every_event_survives_the_trip_through_a_job_file():
    published = [
        Batch(epoch=1, step=3, steps=10, seen=128, loss=0.5, accuracy=0.75, batch_loss=0.4,
              batch_accuracy=0.8, samples_per_s=900.0, extra={"val_perplexity": 120.5}),
        Epoch(epoch=1, loss=0.5, val_accuracy=0.8, complete=False, step=14),
        Plan(models=["LSTM 8×1"], archs=["lstm"], baselines=["vader"], model=None),
        Note(message="<b>not markup</b>", model="GRU 8×1"),
        Saved(run_id="run-1", test_accuracy=0.85),
    ]
    lines = [json.dumps(event.to_json()) for event in published]
    assert [from_json(json.loads(line)) for line in lines] == published
    assert json.loads(lines[0])["kind"] == "batch" and "model" not in json.loads(lines[0])
    assert published[0].global_step == 14


def test_unknown_and_damaged_events_are_skipped_not_fatal():
    assert from_json({"kind": "from the future", "x": 1}) is None
    assert from_json({"kind": "batch", "epoch": 0}) is None  # fields missing
    assert from_json(["not", "an", "object"]) is None
    # An older file's extra fields are ignored.
    saved = from_json({"kind": "saved", "run_id": "r", "t": 1.0, "retired_field": 3})
    assert saved == Saved(run_id="r", t=1.0)
    assert set(events.EVENT_TYPES) >= {"config", "stage", "glove", "batch", "epoch", "resume",
                                       "saved", "result", "plan", "model_start", "row", "note"}
