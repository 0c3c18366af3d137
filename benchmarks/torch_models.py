"""The articles' four models (E1-E4) in PyTorch, for comparison with minattn.

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


# -- the character GPT (demos/char_gpt.py's layout, benchmark size) ---------------------------
GPT_VOCAB, GPT_LENGTH, GPT_DIM, GPT_HEADS, GPT_LAYERS, GPT_FF = 64, 64, 64, 4, 2, 256


def _causal_mask(length):
    """True above the diagonal: the future steps a query may not see (nn.MultiheadAttention's convention)."""
    return torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)


class GPT(nn.Module):
    """minattn's ``build_gpt`` in PyTorch: token + learned position embedding, pre-norm blocks, softmax.

    Each block is ``nn.TransformerEncoderLayer(norm_first=True)`` with a causal
    mask -- the same maths as keras_hub's ``TransformerDecoder(normalize_first=True)``
    without cross-attention: ``x + SA(LN(x))``, then ``x + FF(LN(x))``. The loss is
    minattn's masked cross-entropy on probabilities clipped at 1e-7 (no label is
    0 here, so it is the plain mean over all tokens).
    """

    def __init__(self):
        super().__init__()
        self.token = nn.Embedding(GPT_VOCAB, GPT_DIM)
        self.position = nn.Parameter(torch.zeros(GPT_LENGTH, GPT_DIM))
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(GPT_DIM, GPT_HEADS, GPT_FF, dropout=0.0, activation="relu",
                                       layer_norm_eps=1e-5, batch_first=True, norm_first=True)
            for _ in range(GPT_LAYERS))
        self.final_norm = nn.LayerNorm(GPT_DIM, eps=1e-5)
        self.output = nn.Linear(GPT_DIM, GPT_VOCAB)
        self.register_buffer("causal", _causal_mask(GPT_LENGTH))

    def forward(self, ids):                                     # (B, T) integer ids
        x = self.token(ids.long()) + self.position[:ids.shape[1]]
        for block in self.blocks:
            x = block(x, src_mask=self.causal, is_causal=True)
        return F.softmax(self.output(self.final_norm(x)), dim=-1)          # (B, T, vocab)

    @staticmethod
    def loss(probabilities, labels):
        picked = probabilities.gather(-1, labels.long().unsqueeze(-1)).squeeze(-1)
        return -torch.log(picked.clamp(1e-7, 1.0)).mean()

    def minattn_view(self):
        """Every weight as ``(tensor, rows, to_minattn, to_torch)`` in minattn's order (keras_hub's).

        ``tensor[rows]`` holds the weight in torch's layout (``rows`` picks the
        query, key or value third of a packed ``in_proj``); ``to_minattn`` and
        ``to_torch`` convert between that and minattn's layout.
        """
        d, h = GPT_DIM, GPT_HEADS
        k = d // h
        same = (lambda t: t, lambda a: a)
        linear = (lambda t: t.T, lambda a: a.T)                                    # (out, in) <-> (in, out)
        views = [(self.token.weight, slice(None), *same), (self.position, slice(None), *same)]
        for block in self.blocks:
            attention = block.self_attn
            for part in range(3):                                                  # query, key, value
                rows = slice(part * d, (part + 1) * d)
                views.append((attention.in_proj_weight, rows, lambda t: t.T.reshape(d, h, k),
                              lambda a: a.reshape(d, h * k).T))                    # kernel (d, H, k)
                views.append((attention.in_proj_bias, rows, lambda t: t.reshape(h, k), lambda a: a.reshape(-1)))
            views += [(attention.out_proj.weight, slice(None), lambda t: t.T.reshape(h, k, d),
                       lambda a: a.reshape(h * k, d).T),                           # output kernel (H, k, d)
                      (attention.out_proj.bias, slice(None), *same),
                      (block.norm1.weight, slice(None), *same), (block.norm1.bias, slice(None), *same),
                      (block.linear1.weight, slice(None), *linear), (block.linear1.bias, slice(None), *same),
                      (block.linear2.weight, slice(None), *linear), (block.linear2.bias, slice(None), *same),
                      (block.norm2.weight, slice(None), *same), (block.norm2.bias, slice(None), *same)]
        views += [(self.final_norm.weight, slice(None), *same), (self.final_norm.bias, slice(None), *same),
                  (self.output.weight, slice(None), *linear), (self.output.bias, slice(None), *same)]
        return views


def set_gpt_weights(model, leaves):
    """Copy minattn's GPT weights (``tree_leaves(model.params)`` order) into the torch GPT."""
    views = model.minattn_view()
    if len(views) != len(leaves):
        raise ValueError(f"GPT: {len(views)} weights in torch, got {len(leaves)} from minattn")
    with torch.no_grad():
        for (param, rows, _, to_torch), value in zip(views, leaves):
            param[rows] = to_torch(torch.from_numpy(np.ascontiguousarray(value)))


def gpt_leaves(model, grads=False):
    """The torch GPT's weights (or gradients) as minattn-shaped arrays, in minattn's order."""
    return [to_minattn((param.grad if grads else param)[rows]).detach().numpy().copy()
            for param, rows, to_minattn, _ in model.minattn_view()]


MODELS = {"E1": E1, "E2": E2, "E3": E3, "E4": E4, "GPT": GPT}


def build(name, seed=0):
    """The float32 model of experiment ``name`` ("E1".."E4"), initialised from ``seed``."""
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
        self.x = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        self.y = torch.from_numpy(np.ascontiguousarray(y, dtype=np.float32))
        self.n_batches = len(self.x) // batch_size
        if self.n_batches < 1:
            raise ValueError(f"{name}: {len(self.x)} samples is less than one batch of {batch_size}")
        self.next_batch = 0
        self.last_loss = None

    def run(self, batches):
        """Train on ``batches`` batches; return the wall-clock seconds taken."""
        model, optimizer, loss_fn, size = self.model, self.optimizer, self.model.loss, self.batch_size
        model.train()
        start = time.perf_counter()
        for _ in range(batches):
            lo = (self.next_batch % self.n_batches) * size
            xb, yb = self.x[lo:lo + size], self.y[lo:lo + size]
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
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
