"""The vision-attention demos (SE, STN) at --quick size must still show their result.

The numbers checked are the ones each demo writes to results.json.
"""
import os

import numpy as np

import demo_runner

DEMOS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "demos")


def run_demo(tmp_path, script, figures, *args):
    out = tmp_path / script.replace(".py", "")
    return demo_runner.run_demo(out, script, *args, figures=figures)[0]


def test_se_weights_are_higher_on_the_informative_channels(tmp_path):
    results = run_demo(tmp_path, "se_channels.py", ("se_weights.png", "sample.png", "loss.png"), "--quick")
    informative = results["settings"]["informative"]
    decoys = [c for c in range(results["settings"]["channels"]) if c not in informative]
    for label, weights in results["se_weights"].items():
        weights = np.array(weights)
        assert weights[informative].mean() > weights[decoys].mean() + 0.2, (label, weights)
    gate = np.array(results["se_weights"]["SE hard_sigmoid (MobileNetV3)"])
    assert gate[informative].min() > gate[decoys].max(), gate               # every informative channel up
    assert np.all((gate >= 0) & (gate <= 1))
    accuracy = results["test_accuracy"]
    assert max(accuracy["SE hard_swish (article)"], accuracy["SE hard_sigmoid (MobileNetV3)"]) > \
        accuracy["no SE"], accuracy


def test_spatial_transformer_beats_the_same_classifier_alone(tmp_path):
    results = run_demo(tmp_path, "spatial_transformer.py", ("stn_views.png", "loss.png"), "--quick")
    accuracy = results["test_accuracy"]
    assert accuracy["STN + classifier"] > accuracy["classifier alone"] + 0.2, accuracy
    assert accuracy["STN + classifier"] > 0.6, accuracy
    assert results["mean_zoom"] < 0.8, results["mean_zoom"]                 # it learned to zoom in
