"""Weights files: atomic saves, all-or-nothing loads, matching by structure and by name."""
import json
import os

import numpy as np
import pytest

import minattn
from minattn import Input, Model, saving
from minattn.layers import GRU, Bidirectional, Dense, Dropout


def build(units=3, name_prefix=None):
    """Input(4) -> Dense(units) -> Dropout -> Dense(1): two layers with weights."""
    inputs = Input((4,))
    names = (None, None) if name_prefix is None else (f"{name_prefix}_hidden", f"{name_prefix}_out")
    hidden = Dense(units, activation="tanh", name=names[0])(inputs)
    return Model(inputs, Dense(1, name=names[1])(Dropout(0.1)(hidden)))


def randomize(model, seed):
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


def assert_weights_equal(model, expected):
    got = model.get_weights()
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
        assert g.dtype == e.dtype


def test_round_trip_is_bit_exact_and_writes_a_manifest(tmp_path):
    model = build()
    randomize(model, 0)
    saved = weights_of(model)
    path = tmp_path / "w.npz"
    model.save_weights(path)                                    # a PathLike works too
    randomize(model, 1)
    model.load_weights(str(path))
    assert_weights_equal(model, saved)
    with np.load(path) as data:
        manifest = json.loads(str(data[saving.MANIFEST]))
    assert [entry["class"] for entry in manifest["layers"]] == ["Dense", "Dense"]
    assert manifest["layers"][0]["weights"][0] == {"name": "kernel", "shape": [4, 3], "dtype": "float32"}


def test_a_model_rebuilt_in_the_same_process_loads_by_structure(tmp_path):
    first = build()
    randomize(first, 2)
    path = str(tmp_path / "w.npz")
    first.save_weights(path)
    second = build()                                            # dense_3, dense_4: new automatic names
    assert [l.name for l in saving.weight_layers(second)] != [l.name for l in saving.weight_layers(first)]
    second.load_weights(path)
    assert_weights_equal(second, weights_of(first))
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    np.testing.assert_array_equal(second.predict(x), first.predict(x))


def test_bidirectional_rebuilt_loads_by_structure(tmp_path):
    def make():
        inputs = Input((5, 3))
        return Model(inputs, Dense(1)(Bidirectional(GRU(2))(inputs)))
    first = make()
    randomize(first, 3)
    path = str(tmp_path / "w.npz")
    first.save_weights(path)
    second = make()                                             # forward_gru_2 inside, not forward_gru_1
    second.load_weights(path)
    assert_weights_equal(second, weights_of(first))


def test_structure_mismatch_names_layer_and_shapes_and_changes_nothing(tmp_path):
    path = str(tmp_path / "w.npz")
    build(units=3).save_weights(path)
    model = build(units=5)
    before = weights_of(model)
    with pytest.raises(ValueError) as err:
        model.load_weights(path)
    message = str(err.value)
    assert "kernel" in message and "(4, 5)" in message and "(4, 3)" in message
    assert "nothing was loaded" in message
    assert_weights_equal(model, before)


def test_different_layer_types_or_counts_are_refused(tmp_path):
    path = str(tmp_path / "w.npz")
    build().save_weights(path)
    inputs = Input((4,))
    other = Model(inputs, Dense(1)(inputs))
    with pytest.raises(ValueError, match=r"1 .*\['Dense'\].*structure"):
        other.load_weights(path)
    inputs = Input((5, 4))
    recurrent = Model(inputs, Dense(1)(GRU(3)(inputs)))
    path2 = str(tmp_path / "rec.npz")
    recurrent.save_weights(path2)
    inputs = Input((5, 4))
    wrong_type = Model(inputs, Dense(1)(Dense(3)(inputs)))
    with pytest.raises(ValueError, match="GRU"):
        wrong_type.load_weights(path2)


def test_by_name_loads_the_shared_layers_and_leaves_the_rest(tmp_path):
    source = build(name_prefix="enc")
    randomize(source, 4)
    path = str(tmp_path / "w.npz")
    source.save_weights(path)
    inputs = Input((4,))
    hidden = Dense(3, activation="tanh", name="enc_hidden")(inputs)        # shared name and shape
    target = Model(inputs, Dense(2, name="new_head")(hidden))              # a layer not in the file
    head_before = target.get_layer("new_head").get_weights()
    with pytest.raises(ValueError, match=r"new_head.*\(3, 2\).*enc_out.*\(3, 1\)"):
        target.load_weights(path)                                          # by structure: the heads differ
    target.load_weights(path, by_name=True)
    for got, want in zip(target.get_layer("enc_hidden").get_weights(),
                         source.get_layer("enc_hidden").get_weights()):
        np.testing.assert_array_equal(got, want)
    for got, want in zip(target.get_layer("new_head").get_weights(), head_before):
        np.testing.assert_array_equal(got, want)


def test_by_name_shape_mismatch_names_layer_and_shapes(tmp_path):
    path = str(tmp_path / "w.npz")
    build(units=3, name_prefix="enc").save_weights(path)
    inputs = Input((4,))
    model = Model(inputs, Dense(1, name="enc_out")(Dense(6, name="enc_hidden")(inputs)))
    before = weights_of(model)
    with pytest.raises(ValueError, match=r"enc_hidden.*\(4, 6\).*\(4, 3\)"):
        model.load_weights(path, by_name=True)
    assert_weights_equal(model, before)


def test_by_name_with_no_common_layer_is_an_error(tmp_path):
    path = str(tmp_path / "w.npz")
    build(name_prefix="a").save_weights(path)
    with pytest.raises(ValueError, match="no layer with weights"):
        build(name_prefix="b").load_weights(path, by_name=True)


def test_one_bad_member_leaves_every_layer_as_it_was(tmp_path):
    model = build()
    randomize(model, 5)
    path = str(tmp_path / "w.npz")
    model.save_weights(path)
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    second = saving.weight_layers(model)[1].name
    before = weights_of(model)
    randomize(model, 6)
    before = weights_of(model)
    bad_dtype = dict(arrays, **{f"{second}/kernel": arrays[f"{second}/kernel"].astype(np.complex64)})
    bad_shape = dict(arrays, **{f"{second}/bias": np.zeros(2, np.float32)})
    too_large = dict(arrays, **{f"{second}/bias": np.array([1e39])})        # float64: inf in float32
    for name, members in (("dtype", bad_dtype), ("shape", bad_shape), ("inf", too_large)):
        broken = str(tmp_path / f"{name}.npz")
        np.savez(broken, **members)
        with pytest.raises(ValueError, match=second):
            model.load_weights(broken)
        assert_weights_equal(model, before)                    # the first layer was not assigned either


def test_failed_save_keeps_the_previous_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    model = build()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    previous = path.read_bytes()
    randomize(model, 7)

    def savez_that_fails(handle, **arrays):
        handle.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full (simulated)")
    monkeypatch.setattr(np, "savez", savez_that_fails)
    with pytest.raises(OSError, match="simulated"):
        model.save_weights(path)
    assert path.read_bytes() == previous
    assert sorted(os.listdir(tmp_path)) == ["w.npz"]


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    model = build()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    previous = path.read_bytes()

    def interrupted(handle, **arrays):
        handle.write(b"partial")
        raise KeyboardInterrupt
    monkeypatch.setattr(np, "savez", interrupted)
    with pytest.raises(KeyboardInterrupt):
        model.save_weights(path)
    assert path.read_bytes() == previous
    assert sorted(os.listdir(tmp_path)) == ["w.npz"]


def test_wrong_suffix_and_missing_folder_are_refused(tmp_path):
    model = build()
    with pytest.raises(ValueError, match=r"'\.npz'.*w\.h5"):
        model.save_weights(str(tmp_path / "w.h5"))
    assert not (tmp_path / "w.h5").exists()
    with pytest.raises(ValueError, match=r"\.npz"):
        model.load_weights(str(tmp_path / "w.keras"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        model.save_weights(str(tmp_path / "no" / "such" / "w.npz"))


def test_old_file_without_manifest_loads_by_name_or_says_why(tmp_path):
    model = build()
    randomize(model, 8)
    old = str(tmp_path / "old.npz")
    np.savez(old, **{f"{layer.name}/{key}": value for layer in saving.weight_layers(model)
                     for key, value in layer.params.items()})
    saved = weights_of(model)
    randomize(model, 9)
    model.load_weights(old)
    assert_weights_equal(model, saved)
    rebuilt = build()
    with pytest.raises(ValueError, match="older minattn.*clear_session"):
        rebuilt.load_weights(old)
    with pytest.raises(ValueError, match="no layer with weights"):
        rebuilt.load_weights(old, by_name=True)


def test_file_of_another_kind_is_refused(tmp_path):
    model = build()
    path = str(tmp_path / "w.npz")
    np.savez(path, **{saving.MANIFEST: np.array(json.dumps({"format": "something else"}))})
    with pytest.raises(ValueError, match="unreadable"):
        model.load_weights(path)


def test_float64_model_loads_a_float32_file_in_its_own_dtype(tmp_path, float64):
    minattn.set_floatx("float32")
    small = build()
    randomize(small, 10)
    path = str(tmp_path / "w.npz")
    small.save_weights(path)
    minattn.set_floatx("float64")
    wide = build()
    wide.load_weights(path)
    for got, want in zip(wide.get_weights(), small.get_weights()):
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, want.astype(np.float64))
