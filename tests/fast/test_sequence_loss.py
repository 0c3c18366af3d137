"""The masked sequence loss's hand-written value and gradient (``minattn.fast.sequence_loss``).

Equal to the readable ``losses.masked_sparse_categorical_crossentropy`` (its
batch mean, and autograd's gradient of it) in float64 and to rounding in
float32 -- padded steps, a sample with no real step, probabilities at the
clip's ends -- and agreeing with finite differences; bad labels are refused.
"""
import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from minattn import losses
from minattn.fast.sequence_loss import LOSS_GRADS, masked_sequence_grad, masked_sequence_value

LOSS = losses.masked_sparse_categorical_crossentropy


def batch(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    probs = rng.random((3, 5, 4)) + 0.05
    probs /= probs.sum(-1, keepdims=True)
    labels = rng.integers(1, 4, size=(3, 5))
    labels[1, 3:] = 0                              # padded steps
    labels[2] = 0                                  # a sample with no real step
    probs[0, 0, labels[0, 0]] = 1.0                # at the clip's upper end: no gradient
    probs[0, 1, labels[0, 1]] = 1e-9               # below its lower end: clipped, no gradient
    return labels, probs.astype(dtype)


def readable(labels, probs):
    return anp.mean(LOSS(labels, probs))


def test_the_mapping_holds_the_readable_loss():
    assert LOSS_GRADS[LOSS] == (masked_sequence_value, masked_sequence_grad)


def test_value_and_gradient_equal_the_readable_loss():
    labels, probs = batch()
    assert masked_sequence_value(labels, probs) == pytest.approx(readable(labels, probs), rel=1e-12)
    expected = grad(lambda p: readable(labels, p))(probs)
    np.testing.assert_allclose(masked_sequence_grad(labels, probs), expected, rtol=1e-12, atol=1e-15)
    assert not masked_sequence_grad(labels, probs)[2].any()          # no real step, no gradient
    assert masked_sequence_grad(labels, probs)[0, 0, labels[0, 0]] == 0.0


def test_float32_to_rounding():
    labels, probs = batch(np.float32)
    value, g = masked_sequence_value(labels, probs), masked_sequence_grad(labels, probs)
    assert g.dtype == np.float32
    assert value == pytest.approx(float(readable(labels, probs)), rel=1e-6)
    np.testing.assert_allclose(g, grad(lambda p: readable(labels, p))(probs), rtol=1e-6, atol=1e-9)


def test_gradient_against_finite_differences():
    labels, probs = batch(seed=1)
    probs[0, 0, labels[0, 0]] = 0.5                # away from the clip's ends
    probs[0, 1, labels[0, 1]] = 0.5
    direction = np.random.default_rng(2).standard_normal(probs.shape)
    eps = 1e-7
    numeric = (masked_sequence_value(labels, probs + eps * direction)
               - masked_sequence_value(labels, probs - eps * direction)) / (2 * eps)
    assert numeric == pytest.approx(np.sum(masked_sequence_grad(labels, probs) * direction), rel=1e-6)


def test_a_label_outside_the_vocabulary_is_refused_on_both_paths():
    labels, probs = batch()
    labels[0, 0] = 4
    for fn in (masked_sequence_value, masked_sequence_grad, LOSS):
        with pytest.raises(ValueError, match="masked_sparse_categorical_crossentropy: label 4"):
            fn(labels, probs)
