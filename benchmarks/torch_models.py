"""The articles' four models (E1-E4) in PyTorch, for comparison with minattn (and the Transformers,
from ``torch_transformers.py``).

PyTorch is optional: only the benchmark imports this module, and only when
``import torch`` works. minattn itself never depends on it.

Each model is written to match the Keras original as docs/articles/
describes it and as benchmarks/bench_train.py builds it in minattn: same layer
sizes, activations, softmax axes, ``Permute((2, 1))`` = swap of the two
non-batch axes, Keras initialisers (glorot_uniform kernels, orthogonal
recurrent kernel, zero bias, forget-gate bias 1), float32. Losses are mean
squared error (E1, E2) and binary cross-entropy (E3, E4); the optimiser is
``torch.optim.Adam(lr=1e-3, eps=1e-7)`` (Keras's epsilon).

Two things differ from Keras/minattn by construction, neither changing the
work of a step:

* ``nn.LSTM`` has two biases (``b_ih`` and ``b_hh``) where Keras has one. The
  second is fixed at zero and frozen, so the trainable parameters -- and the
  maths -- are Keras's (``count_params`` equals minattn's).
* ``F.binary_cross_entropy`` clamps ``log p`` at -100; minattn clips ``p`` to
  ``[1e-7, 1 - 1e-7]``. Adam adds epsilon to ``sqrt(v_hat)`` in PyTorch and to
  ``sqrt(v)`` in Keras/minattn. Same cost, slightly different numbers.

``set_weights`` / ``get_weights`` move weights in minattn's layout (a list of
per-layer dicts, Keras shapes) so the benchmark can check that both frameworks
compute the same outputs, loss and gradients before timing them.
"""
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch_transformers import GPT, Classifier, Translator, set_view_weights, view_leaves  # noqa: F401

TIME_STEPS, DIM = 10, 10
LEARNING_RATE = 1e-3
ADAM_EPSILON = 1e-7     # Keras's default (PyTorch's is 1e-8)
DTYPE = torch.float32


# -- Keras-style layers --------------------------------------------------------
def dense(n_in, units, bias=True):
    """Keras ``Dense``: glorot_uniform kernel, zero bias; acts on the last axis."""
    layer = nn.Linear(n_in, units, bias=bias)
    nn.init.xavier_uniform_(layer.weight)
    if bias:
        nn.init.zeros_(layer.bias)
    return layer


def lstm(n_in, units):
    """Keras ``LSTM``: one bias (the second is zero and frozen), unit_forget_bias, gates i, f, c, o."""
    layer = nn.LSTM(n_in, units, batch_first=True)
    nn.init.xavier_uniform_(layer.weight_ih_l0)     # kernel (in, 4u), transposed
    nn.init.orthogonal_(layer.weight_hh_l0)         # recurrent kernel (u, 4u), transposed
    with torch.no_grad():
        layer.bias_ih_l0.zero_()
        layer.bias_ih_l0[units:2 * units] = 1.0     # forget-gate slice
        layer.bias_hh_l0.zero_()
    layer.bias_hh_l0.requires_grad_(False)
    return layer


def permute(x):
    """Keras ``Permute((2, 1))``: swap the two non-batch axes of a 3-D tensor."""
    return x.transpose(1, 2)


# -- the models, as the articles write them ---------------------------------------
class E1(nn.Module):
    """E1: Dense(10, softmax) attention over the inputs, Multiply, Dense(10, sigmoid), Dense(1, sigmoid)."""
    loss = staticmethod(F.mse_loss)

    def __init__(self):
        super().__init__()
        self.attention_vec = dense(DIM, DIM)
        self.hidden = dense(DIM, 10)
        self.output = dense(10, 1)

    def forward(self, inputs):                                  # (B, DIM)
        attention_probs = F.softmax(self.attention_vec(inputs), dim=-1)
        attention_mul = inputs * attention_probs
        hidden = torch.sigmoid(self.hidden(attention_mul))
        return torch.sigmoid(self.output(hidden))

    def keras_layers(self):
        return [self.attention_vec, self.hidden, self.output]


class E2(nn.Module):
    """E2 (only_time_step=True): one softmax weight per time step, shared by all features, then LSTM(64)."""
    loss = staticmethod(F.mse_loss)

    def __init__(self):
        super().__init__()
        self.attention = dense(TIME_STEPS, TIME_STEPS)
        self.lstm = lstm(DIM, 64)
        self.output = dense(64, 1)

    def forward(self, inputs):                                  # (B, TIME_STEPS, DIM)
        a = permute(inputs)                                     # (B, DIM, TIME_STEPS)
        a = F.softmax(self.attention(a), dim=-1)                # softmax over time, per feature
        a = a.mean(dim=1)                                       # dim_reduction: (B, TIME_STEPS)
        a = a.unsqueeze(1).expand(-1, DIM, -1)                  # RepeatVector(DIM): (B, DIM, TIME_STEPS)
        a_probs = permute(a)                                    # attention_vec: (B, TIME_STEPS, DIM)
        weighted = inputs * a_probs
        _, (h_last, _) = self.lstm(weighted)                    # return_sequences=False: last h
        return torch.sigmoid(self.output(h_last[-1]))

    def keras_layers(self):
        return [self.attention, self.lstm, self.output]


class E3(nn.Module):
    """E3: LSTM(32, return_sequences=True), attention_3d_block (softmax over time per unit), Dense(1, sigmoid)."""
    loss = staticmethod(F.binary_cross_entropy)

    def __init__(self):
        super().__init__()
        self.lstm = lstm(2, 32)
        self.attention = dense(TIME_STEPS, TIME_STEPS)
        self.output = dense(TIME_STEPS * 32, 1)

    def forward(self, inputs):                                  # (B, TIME_STEPS, 2)
        lstm_out, _ = self.lstm(inputs)                         # (B, TIME_STEPS, 32)
        a = permute(lstm_out)                                   # (B, 32, TIME_STEPS)
        a = F.softmax(self.attention(a), dim=-1)                # softmax over time, per unit
        a_probs = permute(a)                                    # attention_vec: (B, TIME_STEPS, 32)
        mul = lstm_out * a_probs                                # attention_mul
        return torch.sigmoid(self.output(mul.flatten(1)))       # Flatten: row-major (t, unit)

    def keras_layers(self):
        return [self.lstm, self.attention, self.output]


class E4(nn.Module):
    """E4: the article's 369-weight model -- two stacked Dense softmax attention blocks."""
    loss = staticmethod(F.binary_cross_entropy)

    def __init__(self):
        super().__init__()
        self.dense_1 = dense(4, 4, bias=False)                  # 16 weights
        self.dense_2 = dense(4, 16)                             # 80 weights, linear
        self.dense_3 = dense(16, 16, bias=False)                # 256 weights
        self.dense_4 = dense(16, 1)                             # 17 weights

    def forward(self, inputs):                                  # (B, 4)
        attention_vec = F.softmax(self.dense_1(inputs), dim=-1)
        multiply_1 = inputs * attention_vec
        h = self.dense_2(multiply_1)
        attention_vec1 = F.softmax(self.dense_3(h), dim=-1)
        multiply_2 = h * attention_vec1
        return torch.sigmoid(self.dense_4(multiply_2))

    def keras_layers(self):
        return [self.dense_1, self.dense_2, self.dense_3, self.dense_4]


MODELS = {"E1": E1, "E2": E2, "E3": E3, "E4": E4, "GPT": GPT, "DATES": Translator, "TEXT": Classifier}


def build(name, seed=0):
    """The float32 model of experiment ``name`` (``MODELS``), initialised from ``seed``."""
    torch.manual_seed(seed)
    return MODELS[name]().to(DTYPE)


def count_params(model):
    """Trainable weights (the frozen second LSTM bias is not counted, as in Keras)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def set_num_threads(n):
    """Intra-op threads of PyTorch (its OpenMP/MKL pool); match minattn's BLAS threads."""
    torch.set_num_threads(int(n))
    return torch.get_num_threads()


# -- weights in minattn's (Keras's) layout ---------------------------------------------
def set_weights(model, layer_weights):
    """Copy weights given as minattn's per-layer dicts, in layer order, into ``model``."""
    layers = model.keras_layers()
    if len(layers) != len(layer_weights):
        raise ValueError(f"{type(model).__name__}: {len(layers)} layers, got {len(layer_weights)}")
    with torch.no_grad():
        for layer, weights in zip(layers, layer_weights):
            for param, value in zip(_keras_view(layer), _keras_order(layer, weights)):
                param.copy_(torch.from_numpy(np.ascontiguousarray(np.asarray(value).T)))


def get_weights(model, grads=False):
    """The weights (or, with ``grads=True``, their gradients) as minattn's per-layer dicts."""
    out = []
    for layer in model.keras_layers():
        values = [(p.grad if grads else p).detach().numpy().T.copy() for p in _keras_view(layer)]
        names = ["kernel", "recurrent_kernel", "bias"] if isinstance(layer, nn.LSTM) else ["kernel", "bias"]
        out.append(dict(zip(names, values)))
    return out


def _keras_view(layer):
    if isinstance(layer, nn.LSTM):
        return [layer.weight_ih_l0, layer.weight_hh_l0, layer.bias_ih_l0]
    return [layer.weight] + ([layer.bias] if layer.bias is not None else [])


def _keras_order(layer, weights):
    if isinstance(layer, nn.LSTM):
        return [weights["kernel"], weights["recurrent_kernel"], weights["bias"]]
    return [weights["kernel"]] + ([weights["bias"]] if layer.bias is not None else [])


# -- training ------------------------------------------------------------------------------
class Trainer:
    """A model, its Adam optimiser and the training data, ready to run timed batches.

    ``run(batches)`` is the plain PyTorch loop -- zero_grad, forward, loss,
    backward, step -- over consecutive ``batch_size`` slices of ``x`` / ``y``
    (the caller's NumPy arrays, shared without a copy), wrapping around at the
    end. No shuffling, no per-batch ``loss.item()``, no metrics.
    """

    def __init__(self, name, x, y, batch_size, seed=0):
        self.name, self.batch_size = name, batch_size
        self.model = build(name, seed)
        self.optimizer = torch.optim.Adam([p for p in self.model.parameters() if p.requires_grad],
                                          lr=LEARNING_RATE, eps=ADAM_EPSILON)
        self.xs = [torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
                   for a in (x if isinstance(x, (list, tuple)) else [x])]       # the model's inputs
        self.y = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))
        self.n_batches = len(self.y) // batch_size
        if self.n_batches < 1:
            raise ValueError(f"{name}: {len(self.y)} samples is less than one batch of {batch_size}")
        self.next_batch = 0
        self.last_loss = None

    def run(self, batches):
        """Train on ``batches`` batches; return the wall-clock seconds taken."""
        model, optimizer, loss_fn, size = self.model, self.optimizer, self.model.loss, self.batch_size
        model.train()
        start = time.perf_counter()
        for _ in range(batches):
            lo = (self.next_batch % self.n_batches) * size
            xbs, yb = [x[lo:lo + size] for x in self.xs], self.y[lo:lo + size]
            optimizer.zero_grad()
            loss = loss_fn(model(*xbs), yb)
            loss.backward()
            optimizer.step()
            self.next_batch += 1
        seconds = time.perf_counter() - start
        self.last_loss = float(loss.detach())
        return seconds


def train_throughput(name, x, y, batch_size, warmup_batches, timed_batches):
    """Samples per second of the plain training loop on ``timed_batches`` after ``warmup_batches``."""
    trainer = Trainer(name, x, y, batch_size)
    if warmup_batches:
        trainer.run(warmup_batches)
    return timed_batches * batch_size / trainer.run(timed_batches)
