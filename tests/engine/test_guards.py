"""The smaller guards of issue 24: a schedule's own error, epsilon checks, a read-only or
existing weights file, stale temporary files of killed saves, mismatched attention inputs."""
import os
import time
import traceback

import numpy as np
import pytest

import minattn
from minattn import Input, Model
from minattn.callbacks import LearningRateScheduler
from minattn.layers import Attention, Dense, LayerNormalization, TransformerDecoder, TransformerEncoder


def small_model():
    minattn.clear_session()
    inputs = Input((3,))
    model = Model(inputs, Dense(1)(inputs))
    model.compile("sgd", loss="mse")
    return model


XY = (np.ones((8, 3), np.float32), np.ones((8, 1)))


def test_an_error_inside_a_schedule_is_its_own_with_its_traceback():
    def schedule(epoch, lr):
        return lr * "0.5"                                   # the bug: a string

    with pytest.raises(TypeError) as caught:
        small_model().fit(*XY, verbose=0, callbacks=[LearningRateScheduler(schedule)])
    assert "can't multiply sequence" in str(caught.value) and "positional argument" not in str(caught.value)
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert frames[-1] == "schedule"


@pytest.mark.parametrize("schedule, expected", [(lambda epoch: 0.5, 0.5), (lambda epoch, lr: lr / 4, 0.0025),
                                                (lambda *args: 0.125, 0.125)])
def test_schedules_of_either_form_are_called_with_their_arity(schedule, expected):
    model = small_model()
    history = model.fit(*XY, verbose=0, callbacks=[LearningRateScheduler(schedule)])
    assert history.history["learning_rate"] == [pytest.approx(expected)]


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), 0, -1e-5, True, "1e-5", None])
def test_epsilon_must_be_a_finite_positive_number(bad):
    with pytest.raises(ValueError, match=r"LayerNormalization 'layer_normalization_\d+': epsilon"):
        LayerNormalization(epsilon=bad)
    for block in (TransformerEncoder, TransformerDecoder):
        with pytest.raises(ValueError, match=rf"{block.__name__} '\w+': layer_norm_epsilon"):
            block(8, 2, layer_norm_epsilon=bad)


def test_epsilon_may_be_a_numpy_scalar():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    reference = LayerNormalization(epsilon=1e-2)(x)
    np.testing.assert_allclose(LayerNormalization(epsilon=np.float32(1e-2))(x), reference, rtol=1e-6)
    assert TransformerEncoder(8, 2, layer_norm_epsilon=np.float64(1e-6)).layer_norm_epsilon == 1e-6


def test_a_read_only_weights_file_is_refused_and_kept(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"old")
    os.chmod(path, 0o444)                       # the mode check holds for root too
    try:
        with pytest.raises(PermissionError, match="read-only"):
            small_model().save_weights(path)
        assert path.read_bytes() == b"old"
    finally:
        os.chmod(path, 0o644)
    small_model().save_weights(path)                              # writable again: saved
    assert path.read_bytes() != b"old"


def test_overwrite_false_refuses_an_existing_file(tmp_path):
    path = tmp_path / "w.npz"
    small_model().save_weights(path, overwrite=False)             # new: written
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="overwrite=False"):
        small_model().save_weights(path, overwrite=False)
    assert path.read_bytes() == before


def test_a_save_removes_the_stale_temporary_files_of_killed_saves_only(tmp_path):
    hour_ago = time.time() - 3600
    names = {".w.npz.0123abcd.tmp": True,            # a killed save's: removed
             ".other.npz.89abcdef.tmp": True,        # another target's, same folder: removed too
             ".w.npz.fresh123.tmp": False,           # not minattn's pattern (not hex)
             ".notes.txt.0123abcd.tmp": False,       # not a weights file's
             "w.npz.0123abcd.tmp": False}            # not hidden
    for name in names:
        (tmp_path / name).write_bytes(b"x" * 10)
        os.utime(tmp_path / name, (hour_ago, hour_ago))
    (tmp_path / ".w.npz.fedcba98.tmp").write_bytes(b"in progress")    # a save running now: kept
    small_model().save_weights(tmp_path / "w.npz")
    left = set(os.listdir(tmp_path))
    assert {name for name, stale in names.items() if stale}.isdisjoint(left)
    assert {name for name, stale in names.items() if not stale} | {".w.npz.fedcba98.tmp", "w.npz"} == left


def test_attention_inputs_with_different_batch_sizes_are_named():
    q, v = np.zeros((2, 3, 4), np.float32), np.zeros((3, 5, 4), np.float32)
    with pytest.raises(ValueError, match=r"Attention '\w+': the inputs' batch sizes differ: "
                                         r"query \(2, 3, 4\), value \(3, 5, 4\)"):
        Attention()([q, v])
    with pytest.raises(ValueError, match=r"TransformerDecoder '\w+': the inputs' batch sizes differ: "
                                         r"decoder_sequence \(2, 3, 4\), encoder_sequence \(3, 5, 4\)"):
        TransformerDecoder(8, 2)([q, v])


def test_attention_forward_with_other_feature_sizes_is_named():
    layer = Attention()
    q, v = np.zeros((2, 3, 4), np.float32), np.zeros((2, 5, 4), np.float32)
    layer([q, v])
    with pytest.raises(ValueError, match=r"Attention '\w+': the inputs have shapes query \(2, 3, 4\), "
                                         r"value \(2, 5, 6\), but the layer was built for"):
        layer.forward(layer.params, [q, np.zeros((2, 5, 6), np.float32)])
