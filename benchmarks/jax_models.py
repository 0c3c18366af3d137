"""The articles' four models (E1-E4) as pure JAX functions, for comparison with minattn.

JAX is optional: only the benchmark imports this module, and only when
``import jax`` works (``pip install jax`` -- the CPU build is enough). minattn
itself never depends on it.

Each model is a function ``forward(params, x)`` of a params pytree: a list with
one dict per layer that has weights, in minattn's layer order and with
Keras's weight names and shapes (``kernel`` (in, units), ``recurrent_kernel``
(units, 4 units), ``bias``) -- the same dicts as ``list(model.params.values())``
of the minattn model, so the benchmark starts all frameworks from the same
initial weights and can compare gradients weight by weight. The layers are
written here with ``jax.numpy``: Dense, softmax, ``Permute((2, 1))``, mean,
RepeatVector, Multiply, Flatten, an LSTM with Keras's gates i, f, c, o run by
``jax.lax.scan``; the losses are mean squared error (E1, E2) and binary
cross-entropy with Keras's clip of p to ``[1e-7, 1 - 1e-7]`` (E3, E4).

Adam is written out with Keras's rule (as minattn's ``optimizers.Adam``)::

    m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2
    alpha = lr sqrt(1 - b2^t) / (1 - b1^t);   p = p - alpha m / (sqrt(v) + 1e-7)

One training step -- forward pass, loss, gradient, Adam update, and the
choice of the next batch -- is a single ``jax.jit`` function (``Trainer``),
so each batch is one call into compiled code. Two differences from minattn,
neither changing the work of a step: the batches are taken in order, without
shuffling (as benchmarks/torch_models.py does), and subnormal Adam moments
are not flushed every 100 steps by hand (XLA's CPU code flushes subnormals to
zero in every operation, ``--xla_cpu_ftz``, on by default).
"""
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

LEARNING_RATE, BETA_1, BETA_2 = 1e-3, 0.9, 0.999
ADAM_EPSILON = 1e-7     # Keras's default, as minattn's Adam
PROBABILITY_CLIP = 1e-7  # Keras's K.epsilon(): binary cross-entropy clips p to [eps, 1 - eps]
DTYPE = jnp.float32


# -- layers, Keras's maths ----------------------------------------------------------
def dense(weights, x):
    """Keras ``Dense`` without activation: ``x kernel + bias`` on the last axis."""
    out = x @ weights["kernel"]
    return out + weights["bias"] if "bias" in weights else out


def sigmoid(x):
    """``1 / (1 + exp(-x))``, as ``0.5 (tanh(x / 2) + 1)`` (never overflows), as minattn writes it."""
    return 0.5 * (jnp.tanh(0.5 * x) + 1.0)


def softmax(x):
    """Softmax over the last axis; the maximum is subtracted first so exp cannot overflow."""
    exps = jnp.exp(x - jax.lax.stop_gradient(jnp.max(x, axis=-1, keepdims=True)))
    return exps / jnp.sum(exps, axis=-1, keepdims=True)


def permute(x):
    """Keras ``Permute((2, 1))``: swap the two non-batch axes of (batch, a, b)."""
    return jnp.swapaxes(x, 1, 2)


def repeat_vector(x, n):
    """Keras ``RepeatVector(n)``: (batch, features) -> (batch, n, features)."""
    return jnp.broadcast_to(x[:, None, :], (x.shape[0], n, x.shape[1]))


def lstm(weights, x, return_sequences):
    """Keras ``LSTM`` (tanh, sigmoid gates i, f, c, o in blocks of ``units`` columns), zero initial state.

    Input shape: (batch, time, features). Output shape: (batch, time, units)
    with ``return_sequences``, else the last h, (batch, units).
    """
    kernel, recurrent_kernel, bias = weights["kernel"], weights["recurrent_kernel"], weights["bias"]
    units = recurrent_kernel.shape[0]
    projections = jnp.swapaxes(x @ kernel + bias, 0, 1)       # (time, batch, 4 units): x_t W + b, all t

    def step(state, projection):
        h, c = state
        z = projection + h @ recurrent_kernel                   # (batch, 4 units)
        i, f, g, o = (z[:, k * units:(k + 1) * units] for k in range(4))
        c = sigmoid(f) * c + sigmoid(i) * jnp.tanh(g)           # c_t = f c_{t-1} + i g
        h = sigmoid(o) * jnp.tanh(c)                            # h_t = o tanh(c_t)
        return (h, c), h

    zeros = jnp.zeros((x.shape[0], units), x.dtype)
    (h_last, _), hs = jax.lax.scan(step, (zeros, zeros), projections)
    return jnp.swapaxes(hs, 0, 1) if return_sequences else h_last


# -- the models, as the articles write them (params: minattn's per-layer dicts, in layer order) --
def forward_e1(params, inputs):                                   # inputs (B, 10)
    """E1: Dense(10, softmax) attention over the inputs, Multiply, Dense(10, sigmoid), Dense(1, sigmoid)."""
    attention_vec, hidden, output = params
    attention_probs = softmax(dense(attention_vec, inputs))
    attention_mul = inputs * attention_probs
    return sigmoid(dense(output, sigmoid(dense(hidden, attention_mul))))


def forward_e2(params, inputs):                                   # inputs (B, TIME_STEPS, DIM)
    """E2: one softmax weight per time step, shared by all features, then LSTM(64), Dense(1, sigmoid)."""
    attention, lstm_weights, output = params
    a = softmax(dense(attention, permute(inputs)))                # (B, DIM, TIME_STEPS): over time
    a = jnp.mean(a, axis=1)                                       # dim_reduction: (B, TIME_STEPS)
    a_probs = permute(repeat_vector(a, inputs.shape[2]))          # attention_vec: (B, TIME_STEPS, DIM)
    h_last = lstm(lstm_weights, inputs * a_probs, return_sequences=False)
    return sigmoid(dense(output, h_last))


def forward_e3(params, inputs):                                   # inputs (B, TIME_STEPS, 2)
    """E3: LSTM(32, return_sequences), softmax over time per unit, Multiply, Flatten, Dense(1, sigmoid)."""
    lstm_weights, attention, output = params
    lstm_out = lstm(lstm_weights, inputs, return_sequences=True)  # (B, TIME_STEPS, 32)
    a_probs = permute(softmax(dense(attention, permute(lstm_out))))
    mul = lstm_out * a_probs                                      # attention_mul
    return sigmoid(dense(output, mul.reshape(mul.shape[0], -1)))  # Flatten: row-major (t, unit)


def forward_e4(params, inputs):                                   # inputs (B, 4)
    """E4: two stacked Dense softmax attention blocks (369 weights), Dense(1, sigmoid)."""
    dense_1, dense_2, dense_3, dense_4 = params
    multiply_1 = inputs * softmax(dense(dense_1, inputs))
    h = dense(dense_2, multiply_1)                                # linear
    multiply_2 = h * softmax(dense(dense_3, h))
    return sigmoid(dense(dense_4, multiply_2))


def mean_squared_error(y_true, y_pred):
    """Mean over the batch of ``mean((y_pred - y_true)^2)`` over the last axis."""
    return jnp.mean((y_pred - y_true) ** 2)


def binary_crossentropy(y_true, y_pred):
    """Mean of ``-(y log p + (1 - y) log(1 - p))``, p = y_pred clipped to [1e-7, 1 - 1e-7]."""
    p = jnp.clip(y_pred, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
    return -jnp.mean(y_true * jnp.log(p) + (1.0 - y_true) * jnp.log(1.0 - p))


MODELS = {"E1": (forward_e1, mean_squared_error), "E2": (forward_e2, mean_squared_error),
          "E3": (forward_e3, binary_crossentropy), "E4": (forward_e4, binary_crossentropy)}
LAYERS = {"E1": 3, "E2": 3, "E3": 3, "E4": 4}       # layers with weights, in order


def params_from(name, layer_weights):
    """The float32 params pytree of experiment ``name`` from minattn's per-layer weight dicts."""
    if len(layer_weights) != LAYERS[name]:
        raise ValueError(f"jax {name}: {LAYERS[name]} layers with weights, got {len(layer_weights)}")
    return [{key: jnp.asarray(value, DTYPE) for key, value in weights.items()}
            for weights in layer_weights]


def loss_fn(name):
    """``loss(params, x, y)`` of experiment ``name``: the batch mean of its loss."""
    forward, loss = MODELS[name]
    return lambda params, x, y: loss(y, forward(params, x))


def outputs_loss_grads(name, layer_weights, x, y):
    """The model's outputs on ``x``, the loss and its gradients (per-layer dicts), as NumPy."""
    params = params_from(name, layer_weights)
    x, y = jnp.asarray(x, DTYPE), jnp.asarray(y, DTYPE)
    loss, grads = jax.value_and_grad(loss_fn(name))(params, x, y)
    outputs = MODELS[name][0](params, x)
    return np.asarray(outputs), float(loss), [{k: np.asarray(g) for k, g in d.items()} for d in grads]


# -- Adam, Keras's rule -------------------------------------------------------------------
def adam_init(params):
    """Adam's state: step count t and the moments m, v (zeros shaped like ``params``)."""
    def zeros():                        # m and v each their own buffers (the step donates them)
        return jax.tree_util.tree_map(jnp.zeros_like, params)
    return {"t": jnp.zeros((), DTYPE), "m": zeros(), "v": zeros()}


def adam_update(params, grads, state):
    """One Adam step (Keras's rule, see the module docstring): ``(new params, new state)``."""
    t = state["t"] + 1.0
    m = jax.tree_util.tree_map(lambda m, g: BETA_1 * m + (1.0 - BETA_1) * g, state["m"], grads)
    v = jax.tree_util.tree_map(lambda v, g: BETA_2 * v + (1.0 - BETA_2) * g * g, state["v"], grads)
    alpha = LEARNING_RATE * jnp.sqrt(1.0 - BETA_2 ** t) / (1.0 - BETA_1 ** t)
    params = jax.tree_util.tree_map(lambda p, m, v: p - alpha * m / (jnp.sqrt(v) + ADAM_EPSILON),
                                    params, m, v)
    return params, {"t": t, "m": m, "v": v}


# -- training ------------------------------------------------------------------------------
def make_train_step(name):
    """The jitted step ``(params, adam_state, batch, xs, ys) -> (params, adam_state, batch + 1, loss)``.

    ``xs``, ``ys`` hold all batches, shape (n_batches, batch_size, ...); the
    step trains on batch ``batch`` and returns the index of the next one
    (wrapping around), so a run is one compiled call per batch and nothing
    else. params, state and index are donated: their buffers are reused.
    """
    loss_of = loss_fn(name)

    @partial(jax.jit, donate_argnums=(0, 1, 2))
    def train_step(params, state, batch, xs, ys):
        loss, grads = jax.value_and_grad(loss_of)(params, xs[batch], ys[batch])
        params, state = adam_update(params, grads, state)
        return params, state, (batch + 1) % xs.shape[0], loss

    return train_step


class Trainer:
    """A model's params, its Adam state and the training data on the device, ready to run timed batches.

    ``run(batches)`` calls the jitted step ``batches`` times over consecutive
    ``batch_size`` slices of ``x`` / ``y`` (wrapping around at the end) and
    waits for the result (``block_until_ready``) before stopping the clock.
    The first call compiles: run a warm-up before timing.
    """

    def __init__(self, name, x, y, batch_size, layer_weights):
        self.name, self.batch_size = name, batch_size
        n_batches = len(x) // batch_size
        if n_batches < 1:
            raise ValueError(f"jax {name}: {len(x)} samples is less than one batch of {batch_size}")
        used = n_batches * batch_size
        self.xs = jnp.asarray(x[:used], DTYPE).reshape((n_batches, batch_size) + x.shape[1:])
        self.ys = jnp.asarray(y[:used], DTYPE).reshape((n_batches, batch_size) + y.shape[1:])
        self.params = params_from(name, layer_weights)
        self.state = adam_init(self.params)
        self.batch = jnp.zeros((), jnp.int32)
        self.step = make_train_step(name)
        self.last_loss = None

    def run(self, batches):
        """Train on ``batches`` (>= 1) batches; return the wall-clock seconds (compile included if first)."""
        if batches < 1:
            raise ValueError(f"jax {self.name}: batches must be >= 1, got {batches}")
        params, state, batch, step = self.params, self.state, self.batch, self.step
        start = time.perf_counter()
        for _ in range(batches):
            params, state, batch, loss = step(params, state, batch, self.xs, self.ys)
        loss.block_until_ready()
        jax.block_until_ready(params)
        seconds = time.perf_counter() - start
        self.params, self.state, self.batch = params, state, batch
        self.last_loss = float(loss)
        return seconds

    def layer_weights(self):
        """The current weights as minattn's per-layer dicts of NumPy arrays."""
        return [{k: np.asarray(w) for k, w in d.items()} for d in self.params]
