"""Weight initialisers: ``(rng, shape, dtype) -> array``, Keras's defaults.

A dtype of None means the configured float type, ``minattn.floatx()``.

fan_in / fan_out follow Keras: for a matrix (in, out) they are in and out;
for a convolution kernel (kh, kw, in, out) both are multiplied by kh * kw.
"""
import numpy as np

from . import config


def _fans(shape):
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def glorot_uniform(rng, shape, dtype=None):
    """Uniform in ``[-l, l]`` with ``l = sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010)."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    dtype = config.floatx() if dtype is None else dtype
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


def orthogonal(rng, shape, dtype, gain=1.0):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal one (Saxe et al. 2014).

    The shape is flattened to (prod(shape[:-1]), shape[-1]); the signs of R's
    diagonal are folded into Q so the result is uniformly distributed.
    """
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    normal = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(normal)
    q = q * np.sign(np.diag(r))          # (max, min)
    if rows < cols:
        q = q.T                           # (rows, cols)
    return (gain * q.reshape(shape)).astype(dtype)


def random_uniform(rng, shape, dtype, minval=-0.05, maxval=0.05):
    """Uniform in ``[minval, maxval]`` (Keras's default for Embedding)."""
    return rng.uniform(minval, maxval, size=shape).astype(dtype)


def zeros(rng, shape, dtype):
    """All zeros."""
    return np.zeros(shape, dtype=dtype)


def ones(rng, shape, dtype):
    """All ones."""
    return np.ones(shape, dtype=dtype)


_BY_NAME = {"glorot_uniform": glorot_uniform, "orthogonal": orthogonal,
            "uniform": random_uniform, "random_uniform": random_uniform,
            "zeros": zeros, "ones": ones}


def get(initializer, where="initializer"):
    """Return the initialiser for a name or a callable ``(rng, shape, dtype)``."""
    if callable(initializer):
        return initializer
    if isinstance(initializer, str) and initializer in _BY_NAME:
        return _BY_NAME[initializer]
    raise ValueError(f"{where}: unknown initializer {initializer!r}; "
                     f"expected one of {sorted(_BY_NAME)} or a function (rng, shape, dtype)")
