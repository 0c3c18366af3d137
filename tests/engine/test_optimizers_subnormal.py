"""Optimizer moments never stay subnormal: they are flushed to 0 every FLUSH_EVERY steps."""
import numpy as np
import pytest

from minattn.optimizers import FLUSH_EVERY, SGD, Adam, flushed


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flushed_zeroes_exactly_the_subnormal_entries_of_a_copy(dtype):
    tiny = np.finfo(dtype).tiny                      # the smallest normal number
    values = np.array([tiny, -tiny, tiny / 4, -tiny / 1000, 0.0, 1e-3, -2.5, np.inf], dtype=dtype)
    before = values.copy()
    result = flushed(values)
    assert result.dtype == dtype
    assert np.array_equal(result, np.array([tiny, -tiny, 0, 0, 0, 1e-3, -2.5, np.inf], dtype=dtype))
    assert np.array_equal(values, before)                                  # the argument is untouched


def _zero_gradient_steps(optimizer, state, steps):
    flat, zeros = np.zeros(4, np.float32), np.zeros(4, np.float32)
    for _ in range(steps):
        flat, state = optimizer.update(flat, zeros, state, np.array([4]))
    return state


def test_adam_flushes_subnormal_moments_every_flush_every_steps():
    adam = Adam()
    state = adam.init_flat(np.zeros(4, np.float32))
    state["v"][:] = [1e-40, 1e-3, 0.0, 1e-40]             # two subnormal second moments
    state = _zero_gradient_steps(adam, state, FLUSH_EVERY - 1)
    assert np.count_nonzero(state["v"]) == 3 and 0 < state["v"][0] < np.finfo(np.float32).tiny
    state = _zero_gradient_steps(adam, state, 1)          # step FLUSH_EVERY
    assert state["v"][0] == state["v"][3] == 0.0
    assert state["v"][1] == pytest.approx(1e-3 * 0.999 ** FLUSH_EVERY, rel=1e-4)   # normal: untouched


def test_sgd_flushes_its_subnormal_velocity_too():
    sgd = SGD(momentum=0.99)
    state = sgd.init_flat(np.zeros(4, np.float32))
    state["velocity"][:] = [1e-40, -1e-40, 1e-2, 0.0]
    state = _zero_gradient_steps(sgd, state, FLUSH_EVERY)
    assert state["velocity"][0] == state["velocity"][1] == 0.0
    assert state["velocity"][2] == pytest.approx(1e-2 * 0.99 ** FLUSH_EVERY, rel=1e-4)


def test_flushing_does_not_change_training_with_normal_moments():
    """Past a flush step, Adam still equals the plain NumPy rule (no moment was subnormal)."""
    rng = np.random.default_rng(3)
    target, p0 = rng.standard_normal(6), rng.standard_normal(6)
    adam = Adam(learning_rate=0.01)
    flat, state = p0.copy(), adam.init_flat(p0)
    ref, m, v = p0.copy(), np.zeros(6), np.zeros(6)
    for t in range(1, FLUSH_EVERY + 20):
        flat, state = adam.update(flat, flat - target, state, np.array([6]))
        g = ref - target
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        ref -= 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * m / (np.sqrt(v) + 1e-7)
    np.testing.assert_allclose(flat, ref, rtol=1e-12, atol=1e-14)


def test_amsgrad_flushes_its_largest_second_moment_too():
    adam = Adam(amsgrad=True)
    state = adam.init_flat(np.zeros(4, np.float32))
    state["v_hat"][:] = [1e-40, 1e-3, 0.0, 1e-40]
    state = _zero_gradient_steps(adam, state, FLUSH_EVERY)
    assert state["v_hat"][0] == 0.0 and state["v_hat"][1] == np.float32(1e-3)   # a max: never decays
