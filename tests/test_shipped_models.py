"""The pretrained models in assets/models: present, small, documented, accurate, and usable."""

import json
import shutil

import pytest

from core import catalog, sentiment, vader, verdict
from core.config import SHIPPED_MODELS
from core.pretrain import SIZE_LIMIT_MB, TARGETS
from core.runs import SHIPPED_DIR, RunError, RunStore

ARCHS = tuple(SHIPPED_MODELS)  # the four architectures and the LM-pretrained LSTM
CLEAR = {
    "An excellent, moving film with wonderful performances. I loved it and would watch it "
    "again.": "Positive",
    "A terrible, boring film. The acting was awful and the plot made no sense. A complete "
    "waste of time.": "Negative",
}


@pytest.fixture(scope="module")
def shipped_models():
    choices = [c for c in catalog.model_choices() if c.source == catalog.SHIPPED]
    return {c.arch: catalog.load_scoring_model(c) for c in choices}


def test_five_shipped_models_with_cards_within_the_size_limit():
    for arch in ARCHS:
        size = sum(p.stat().st_size for p in (SHIPPED_DIR / arch).rglob("*") if p.is_file())
        assert size <= SIZE_LIMIT_MB * 1e6, arch
    assert (SHIPPED_DIR / catalog.NBLR_FILE).stat().st_size <= SIZE_LIMIT_MB * 1e6
    for arch in ARCHS:
        folder = SHIPPED_DIR / arch
        metrics = json.loads((folder / "metrics.json").read_text())
        card = (folder / "MODEL_CARD.md").read_text()
        assert metrics["test_reviews"] == 25_000
        assert metrics["train_reviews"] + metrics["val_reviews"] == 25_000
        assert f"{metrics['test_accuracy']:.2%}" in card and "VADER" in card
        assert "Trained on 20" in card and "python -m core.pretrain" in card
    shipped_vader = vader.shipped_vader_metrics()
    assert shipped_vader["test_reviews"] == 25_000 and 0.6 < shipped_vader["test_accuracy"] < 0.8


@pytest.mark.parametrize("arch", sorted(TARGETS))
def test_accuracy_targets_are_met(arch):
    metrics = json.loads((SHIPPED_DIR / arch / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= TARGETS[arch]


def test_shipped_models_score_clear_reviews_correctly(shipped_models):
    assert set(shipped_models) == set(ARCHS)
    for arch, model in shipped_models.items():
        for text, expected in CLEAR.items():
            p = model.score(text)
            assert verdict.model_label(p) == expected, (arch, text, p)


def test_a_corrupted_model_is_unusable_and_the_others_still_work(tmp_path, shipped_models):
    root = tmp_path / "models"
    shutil.copytree(SHIPPED_DIR / "gru", root / "gru")
    shutil.copytree(SHIPPED_DIR / "lstm", root / "lstm")
    (root / "gru" / "model.keras").write_bytes(b"not a zip file at all")
    (root / "lstm" / "model.keras").unlink()
    stores = {catalog.SHIPPED: RunStore(root, read_only=True)}
    choices = {c.arch: c for c in catalog.model_choices(stores)}
    assert "missing model.keras" in choices["lstm"].problem
    with pytest.raises(RunError, match="cannot be used"):
        catalog.load_scoring_model(choices["lstm"], stores)
    with pytest.raises(RunError, match="corrupted"):
        catalog.load_scoring_model(choices["gru"], stores)
    # The real ones are untouched and still score.
    assert shipped_models["bilstm"].score("A wonderful film.") > 0.5


def test_the_stored_accuracy_describes_the_shipped_file(imdb, shipped_models):
    """Re-score a seeded sample of the test reviews: the card's figure is the file's."""
    import numpy as np

    sample = imdb.test.sample(1_000, random_state=11)
    labels = sample["label"].to_numpy(dtype=int)
    for arch in ("lstm", "gru"):
        stored = json.loads((SHIPPED_DIR / arch / "metrics.json").read_text())["test_accuracy"]
        scored = shipped_models[arch].predict(sample["text"].tolist())
        accuracy = float(np.mean((np.asarray(scored) >= 0.5) == (labels == 1)))
        # 1,000 reviews: the standard error of an ~87% accuracy is about 1.1 points.
        assert abs(accuracy - stored) < 0.04, (arch, accuracy, stored)


def test_the_shipped_nblr_baseline_scores_clear_reviews_and_its_figure_is_the_files(imdb):
    """The NB-LR baseline ships beside the networks, with its figure measured on the file."""
    import numpy as np

    choice = next(c for c in catalog.model_choices() if c.source == catalog.BASELINE)
    assert choice.arch == "nblr" and not choice.problem
    stored = json.loads((SHIPPED_DIR / catalog.NBLR_METRICS_FILE).read_text())
    assert choice.test_accuracy == stored["test_accuracy"] >= 0.9
    model = catalog.load_scoring_model(choice)
    for text, expected in CLEAR.items():
        assert verdict.model_label(model.score(text)) == expected, text
    sample = imdb.test.sample(1_000, random_state=11)
    scored = model.predict(sample["text"].tolist())
    accuracy = float(np.mean((scored >= 0.5) == (sample["label"].to_numpy(dtype=int) == 1)))
    assert abs(accuracy - stored["test_accuracy"]) < 0.04


def test_a_damaged_nblr_file_is_unusable_with_a_reason(tmp_path):
    root = tmp_path / "models"
    root.mkdir()
    (root / catalog.NBLR_FILE).write_bytes(b"not a zip file")
    stores = {catalog.SHIPPED: RunStore(root, read_only=True)}
    choice = next(c for c in catalog.model_choices(stores) if c.arch == "nblr")
    with pytest.raises(RunError, match="not a readable NB-LR model"):
        catalog.load_scoring_model(choice, stores)


def test_every_example_hint_says_what_the_shipped_models_do(shipped_models):
    """The hints under Classify's examples name what each model says; score them all."""
    nblr = catalog.load_scoring_model(next(c for c in catalog.model_choices()
                                             if c.source == catalog.BASELINE))
    by_name = {SHIPPED_MODELS[arch]: model for arch, model in shipped_models.items()}
    by_name[catalog.NBLR_NAME] = nblr
    examples = sentiment.example_reviews()
    assert sum(bool(e.says) for e in examples) >= 5
    for example in examples:
        verdicts = {name: verdict.model_label(model.score(example.text))
                    for name, model in by_name.items()}
        verdicts["VADER"] = vader.vader_scores(example.text).label
        for name, label in example.says.items():
            assert verdicts[name] == label, (example.title, name, verdicts)
        for name, label in example.never_says.items():
            assert verdicts[name] != label, (example.title, name, verdicts)


@pytest.mark.slow
def test_the_stored_calibration_is_measured_on_held_back_reviews_from_real_predictions(imdb):
    """calibration.json beside each network: recomputed from the model's own predictions on
    the training reviews its run held back (never the test reviews), it agrees."""
    from core.calibration import CALIBRATION_FILE
    from core.pretrain import calibrate

    fresh = calibrate(imdb, SHIPPED_DIR, write=False)  # reads the held-back reviews itself
    assert set(fresh) == set(ARCHS)
    for arch, result in fresh.items():
        stored = json.loads((SHIPPED_DIR / arch / CALIBRATION_FILE).read_text())
        assert stored["reviews"] == result["reviews"] == 500
        assert stored["reliability"]["ece"] == pytest.approx(result["reliability"]["ece"],
                                                             abs=1e-6)
        assert sum(stored["reliability"]["count"]) == 500
        assert 0 < stored["temperature"] and stored["log_loss_with_temperature"] <= (
            stored["log_loss"] + 1e-9)
