"""The Transformer blocks (Vaswani et al. 2017), as keras_hub's TransformerEncoder and TransformerDecoder.

A block is a stack of sub-layers, each wrapped the same way: a residual
connection around it and a layer normalization after it (post-norm, the
paper's and BERT's order) or before it (``normalize_first=True``, GPT-2's):

    post-norm:  x = LayerNorm(x + Dropout(sublayer(x)))
    pre-norm:   x = x + Dropout(sublayer(LayerNorm(x)))

The encoder's sub-layers are self-attention and a two-layer feed-forward
network; the decoder's are causal self-attention, optionally cross-attention
over an encoder's output, and the feed-forward network. Every sub-layer is an
existing minattn layer (``MultiHeadAttention``, ``LayerNormalization``,
``Dense``), named and ordered as keras_hub names and orders them, so
``get_weights()`` lists the same arrays in the same order as keras_hub's.
"""
import abc

from .. import activations
from ..arguments import check_positive, check_positive_int
from .base import Layer
from .core import Dense
from .multihead import MultiHeadAttention, drop_weights
from .normalization import LayerNormalization
from .vocabulary import check_input_arrays, layer_label, show_shape


def _dropout(x, rate, training, rng):
    """Dropout of ``rate`` while training (the same maths as ``Dropout`` and attention dropout)."""
    return drop_weights(x, rate, training, rng)


def _first(mask):
    return mask[0] if isinstance(mask, (list, tuple)) else mask


class TransformerBlock(Layer, abc.ABC):
    """What the encoder and the decoder share: settings, sub-layers, the residual wrapper.

    Abstract: use ``TransformerEncoder`` or ``TransformerDecoder``, which
    define ``init`` and ``forward``.
    """
    accepts_mask = True
    accepts_training = True

    def __init__(self, intermediate_dim, num_heads, dropout=0.0, activation="relu", layer_norm_epsilon=1e-05,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", normalize_first=False, name=None):
        super().__init__(name)
        self.intermediate_dim = check_positive_int(intermediate_dim, f"{layer_label(self)}: intermediate_dim")
        self.num_heads = check_positive_int(num_heads, f"{layer_label(self)}: num_heads")
        if not isinstance(dropout, (int, float)) or isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
            raise ValueError(f"{layer_label(self)}: dropout must be in [0, 1), got {dropout!r}")
        self.dropout = float(dropout)
        self.activation = activations.get(activation, layer_label(self))
        self.layer_norm_epsilon = check_positive(layer_norm_epsilon, f"{layer_label(self)}: layer_norm_epsilon")
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.normalize_first = bool(normalize_first)
        self.sublayers = {}            # keras_hub's sub-layer name -> layer, made by init

    # -- building ------------------------------------------------------------
    def _sequence_dim(self, shape, what):
        if not isinstance(shape, tuple) and not isinstance(shape, list) or len(shape) != 2 or shape[-1] is None:
            raise ValueError(f"{layer_label(self)}: expected {what} of shape (None, time, features), got "
                             f"{show_shape(shape)}")
        if shape[-1] < self.num_heads:
            raise ValueError(f"{layer_label(self)}: {what} has {shape[-1]} features, fewer than "
                             f"num_heads={self.num_heads} (each head gets features // num_heads)")
        return shape[-1]

    def _attention(self, name, hidden, causal=False):
        head_dim = hidden // self.num_heads                  # keras_hub: key_dim = hidden // heads
        return MultiHeadAttention(self.num_heads, head_dim, dropout=self.dropout, causal=causal,
                                  return_attention_scores=True, name=f"{self.name}/{name}")

    def _norm(self, name):
        return LayerNormalization(epsilon=self.layer_norm_epsilon, name=f"{self.name}/{name}")

    def _feedforward(self, hidden):
        # the activation is applied in _feedforward_apply, so ``self.activation`` is the one used
        return {"feedforward_intermediate_dense": Dense(
                    self.intermediate_dim, kernel_initializer=self.kernel_initializer,
                    bias_initializer=self.bias_initializer, name=f"{self.name}/feedforward_intermediate_dense"),
                "feedforward_output_dense": Dense(
                    hidden, kernel_initializer=self.kernel_initializer, bias_initializer=self.bias_initializer,
                    name=f"{self.name}/feedforward_output_dense")}

    def _init_sublayers(self, rng, shapes):
        """Build each sub-layer in ``self.sublayers`` order for ``shapes[name]``; the nested params."""
        params = {}
        for name, layer in self.sublayers.items():
            _, params[name] = layer.init(rng, shapes[name])
        return params

    # -- running -------------------------------------------------------------
    def _residual(self, params, x, norm_name, sublayer, training, rng):
        """``x`` plus the sub-layer's output, normalized after (post-norm) or before (normalize_first)."""
        norm = self.sublayers[norm_name]
        inner = norm.forward(params[norm_name], x) if self.normalize_first else x
        y = x + _dropout(sublayer(inner), self.dropout, training, rng)
        return y if self.normalize_first else norm.forward(params[norm_name], y)

    def _attention_block(self, params, x, name, norm_name, key_mask, training, rng, scores, value=None,
                         attention_mask=None, use_causal_mask=None):
        """Residual + norm ``norm_name`` around attention sub-layer ``name`` (self-attention when ``value`` is None).

        ``key_mask`` (batch, Tk), ``attention_mask`` (batch, Tq, Tk) and
        ``use_causal_mask`` (None: the sub-layer's own) go to the attention as
        its call arguments. Its weights (batch, H, Tq, Tk) go in ``scores[name]``.
        """
        def attend(h):
            output, weights = self.sublayers[name].forward(
                params[name], [h, h if value is None else value], mask=[None, key_mask],
                training=training, rng=rng, attention_mask=attention_mask, use_causal_mask=use_causal_mask)
            scores[name] = weights
            return output
        return self._residual(params, x, norm_name, attend, training, rng)

    def _feedforward_block(self, params, x, training, rng):
        """Residual + norm around the feed-forward network."""
        return self._residual(params, x, "feedforward_layer_norm",
                              lambda h: self._feedforward_apply(params, h), training, rng)

    def _feedforward_apply(self, params, x):
        hidden = self.activation(self.sublayers["feedforward_intermediate_dense"].forward(
            params["feedforward_intermediate_dense"], x))                  # (batch, T, intermediate_dim)
        return self.sublayers["feedforward_output_dense"].forward(params["feedforward_output_dense"], hidden)

    @abc.abstractmethod
    def run_with_scores(self, params, xs, mask=None, training=False, rng=None, **padding_masks):
        """``(output, {sub-layer name: attention weights (batch, heads, Tq, Tk)})``."""

    def apply(self, params, xs, mask=None, training=False, rng=None, return_attention_scores=False, **call):
        """The block's output; with ``return_attention_scores`` (the encoder's call argument)
        ``[output, self-attention weights (batch, H, T, T)]``. ``call``: the masks, by keras_hub's names."""
        output, scores = self.run_with_scores(params, xs, mask, training, rng, **call)
        return [output, next(iter(scores.values()))] if return_attention_scores else output

    def call_output_shape(self, input_shape, output_shape, call):
        if not call.get("return_attention_scores"):
            return output_shape
        return [output_shape, (self.num_heads, output_shape[0], output_shape[0])]    # (H, T, T)

    def call_compute_mask(self, x, mask, call):
        out_mask = self.compute_mask(x, mask)
        return [out_mask, None] if call.get("return_attention_scores") else out_mask

    def attention_scores(self, params, xs, mask=None, **padding_masks):
        """Run the block (inference) and return its attention weights per sub-layer and head.

        Returns:
            A dict: ``{"self_attention...": (batch, heads, T, T)}`` and, for a
            decoder with an encoder, ``"cross_attention": (batch, heads, T, T_encoder)``.
        """
        return self.run_with_scores(params, xs, mask, False, None, **padding_masks)[1]

    def compute_mask(self, x, mask):
        return _first(mask)


class TransformerEncoder(TransformerBlock):
    """A Transformer encoder block, keras_hub's ``TransformerEncoder``:

        a = MultiHeadAttention(x, x)  (padded keys masked out)   x = LayerNorm(x + Dropout(a))
        f = W2 activation(W1 x + b1) + b2                         x = LayerNorm(x + Dropout(f))

    (with ``normalize_first=True`` each LayerNorm moves to the sub-layer's
    input, ``x = x + Dropout(sublayer(LayerNorm(x)))``). Each of the
    ``num_heads`` heads has ``features // num_heads`` dimensions.

    Args:
        intermediate_dim: hidden size of the feed-forward network.
        num_heads: number of attention heads.
        dropout: rate of the attention dropout and of the two residual dropouts (default 0).
        activation: of the feed-forward network's first layer (default "relu").
        layer_norm_epsilon: epsilon of the layer normalizations (default 1e-5).
        kernel_initializer: of the Dense layers (default "glorot_uniform"; the
            attention's kernels are always glorot-uniform).
        bias_initializer: of the Dense layers (default "zeros"; the attention's biases start at 0).
        normalize_first: pre-norm (GPT-2) instead of post-norm (the paper, BERT).
        name: layer name.

    Call arguments (keras_hub's ``TransformerEncoder.call``):
        inputs: (batch, time, features).
        padding_mask: boolean (batch, time), False at padding; default the
            input's mask (from ``Embedding(mask_zero=True)`` or
            ``TokenAndPositionEmbedding(mask_zero=True)``). Padded keys get
            weight exactly 0. The input's mask is passed on to the output.
        attention_mask: boolean (batch, time, time), True where step i may
            attend to step j; and'ed with the padding mask.
        training: switches the dropouts (in a model: fit's mode unless given).
        return_attention_scores: return ``[output, weights (batch, heads, time, time)]``.

    Input shape: ``(batch, time, features)``. Output shape: the same.

    Weights, keras_hub's order: ``self_attention_layer`` (query, key, value,
    output kernels and biases), ``self_attention_layer_norm`` (gamma, beta),
    ``feedforward_layer_norm``, ``feedforward_intermediate_dense`` (kernel,
    bias), ``feedforward_output_dense``.

    Differences from keras_hub: no regularizers; the output at padded steps is computed like any other step
    (keras_hub also does so when given ``padding_mask``; with an implicit
    Keras mask its attention gives padded queries zero weights instead).
    ``attention_scores(params, x)`` returns the weights
    (keras_hub's ``return_attention_scores=True``).
    """
    propagates_mask = True
    mask_keywords = ()                     # keras_hub's call takes padding_mask, not mask
    call_keywords = ("padding_mask", "attention_mask", "return_attention_scores")

    def init(self, rng, input_shape):
        if isinstance(input_shape, list):
            raise ValueError(f"{layer_label(self)}: expected one sequence, got {show_shape(input_shape)}")
        hidden = self._sequence_dim(input_shape, "the input")
        self.sublayers = {"self_attention_layer": self._attention("self_attention_layer", hidden),
                          "self_attention_layer_norm": self._norm("self_attention_layer_norm"),
                          "feedforward_layer_norm": self._norm("feedforward_layer_norm"),
                          **self._feedforward(hidden)}
        shape = tuple(input_shape)
        shapes = {name: shape for name in self.sublayers}
        shapes["self_attention_layer"] = [shape, shape]
        shapes["feedforward_output_dense"] = shape[:-1] + (self.intermediate_dim,)
        return shape, self._init_sublayers(rng, shapes)

    def run_with_scores(self, params, x, mask=None, training=False, rng=None, padding_mask=None,
                        attention_mask=None):
        """``(output (batch, T, d), {"self_attention_layer": weights (batch, H, T, T)})``."""
        if isinstance(x, (list, tuple)):
            raise ValueError(f"{layer_label(self)}: expected one sequence, got a list of {len(x)}")
        key_mask = padding_mask if padding_mask is not None else _first(mask)
        scores = {}
        x = self._attention_block(params, x, "self_attention_layer", "self_attention_layer_norm", key_mask,
                                  training, rng, scores, attention_mask=attention_mask)
        return self._feedforward_block(params, x, training, rng), scores


class TransformerDecoder(TransformerBlock):
    """A Transformer decoder block, keras_hub's ``TransformerDecoder``:

        a = causal MultiHeadAttention(x, x)           x = LayerNorm(x + Dropout(a))
        c = MultiHeadAttention(x, encoder_sequence)   x = LayerNorm(x + Dropout(c))   (with an encoder)
        f = W2 activation(W1 x + b1) + b2             x = LayerNorm(x + Dropout(f))

    Self-attention is always causal: step i sees only steps j <= i, so a
    decoder trained to predict step i + 1 cannot peek at it. Called on one
    sequence it is a decoder-only block (GPT); called on the list
    ``[decoder_sequence, encoder_sequence]`` it adds cross-attention over the
    encoder's output (the paper's translation model). The number of inputs is
    fixed by the first call. ``normalize_first=True`` moves every LayerNorm
    to its sub-layer's input, as in the encoder.

    Args: as ``TransformerEncoder``.

    Call arguments (keras_hub's ``TransformerDecoder.call``):
        decoder_sequence: (batch, T, d); or the list ``[decoder_sequence, encoder_sequence]``.
        encoder_sequence: (batch, T_encoder, d_encoder), or None (decoder only).
        decoder_padding_mask, encoder_padding_mask: boolean (batch, time),
            False at padding; default the mask of that input. Padded keys get
            weight exactly 0. The decoder sequence's mask is passed on.
        decoder_attention_mask: boolean (batch, T, T), True where step i may
            attend to step j in self-attention; and'ed with the padding and causal masks.
        encoder_attention_mask: boolean (batch, T, T_encoder), the same for
            cross-attention (keras_hub's docstring says (batch, T_encoder,
            T_encoder); the shape its cross-attention uses is this one).
        use_causal_mask: self-attention sees only steps j <= i (default True).
        training: switches the dropouts (in a model: fit's mode unless given).
        self_attention_cache, self_attention_cache_update_index,
        cross_attention_cache, cross_attention_cache_update_index: refused
            when given: minattn has no key/value cache.

    Input shape: ``(batch, T, d)`` or ``[(batch, T, d), (batch, T_encoder, d_encoder)]``.
    Output shape: ``(batch, T, d)``.

    Weights, keras_hub's order: ``self_attention`` (query, key, value, output
    kernels and biases), ``self_attention_layer_norm`` (gamma, beta), then with
    an encoder ``cross_attention`` and ``cross_attention_layer_norm``, then
    ``feedforward_intermediate_dense`` (kernel, bias), ``feedforward_output_dense``,
    ``feedforward_layer_norm``.

    Differences from keras_hub: no key/value cache (generation reruns the
    whole prefix); outputs at padded steps as in ``TransformerEncoder``.
    ``attention_scores(params, xs)`` returns the weights of both attentions.
    """
    call_inputs = ("decoder_sequence", "encoder_sequence")
    mask_keywords = ()                     # keras_hub's call takes the padding masks by name
    call_keywords = ("decoder_padding_mask", "decoder_attention_mask", "encoder_padding_mask",
                     "encoder_attention_mask", "use_causal_mask")
    refused_keywords = dict.fromkeys(
        ("self_attention_cache", "self_attention_cache_update_index", "cross_attention_cache",
         "cross_attention_cache_update_index"), "minattn has no key/value cache (generation reruns the prefix)")

    def init(self, rng, input_shape):
        cross = isinstance(input_shape, list)
        if cross and len(input_shape) != 2:
            raise ValueError(f"{layer_label(self)}: expected decoder_sequence or [decoder_sequence, "
                             f"encoder_sequence], got {show_shape(input_shape)}")
        decoder_shape = tuple(input_shape[0] if cross else input_shape)
        hidden = self._sequence_dim(decoder_shape, "the decoder sequence")
        self.sublayers = {"self_attention": self._attention("self_attention", hidden, causal=True),
                          "self_attention_layer_norm": self._norm("self_attention_layer_norm")}
        shapes = {name: decoder_shape for name in ("self_attention_layer_norm", "cross_attention_layer_norm",
                                                   "feedforward_intermediate_dense", "feedforward_layer_norm")}
        shapes["self_attention"] = [decoder_shape, decoder_shape]
        if cross:
            encoder_shape = tuple(input_shape[1])
            if len(encoder_shape) != 2 or encoder_shape[-1] is None:
                raise ValueError(f"{layer_label(self)}: expected encoder_sequence of shape (None, time, features), "
                                 f"got {show_shape(input_shape)}")
            self.sublayers["cross_attention"] = self._attention("cross_attention", hidden)
            self.sublayers["cross_attention_layer_norm"] = self._norm("cross_attention_layer_norm")
            shapes["cross_attention"] = [decoder_shape, encoder_shape]
        self.sublayers.update(self._feedforward(hidden))
        self.sublayers["feedforward_layer_norm"] = self._norm("feedforward_layer_norm")
        shapes["feedforward_output_dense"] = decoder_shape[:-1] + (self.intermediate_dim,)
        return decoder_shape, self._init_sublayers(rng, shapes)

    def split_call(self, xs, mask, decoder_padding_mask=None, encoder_padding_mask=None):
        """``(decoder sequence, encoder sequence or None, decoder mask, encoder mask)`` of one call:
        the inputs checked against how the layer was built, and keras_hub's padding masks over
        the propagated ones (shared by the readable call and the fast record)."""
        cross = "cross_attention" in self.sublayers
        if isinstance(xs, (list, tuple)) != cross or (cross and len(xs) != 2):
            built = "[decoder_sequence, encoder_sequence]" if cross else "decoder_sequence alone"
            raise ValueError(f"{layer_label(self)}: was built for {built}; call it the same way")
        x, encoder = (xs[0], xs[1]) if cross else (xs, None)
        masks = list(mask) if isinstance(mask, (list, tuple)) else [mask, None]
        decoder_mask = decoder_padding_mask if decoder_padding_mask is not None else masks[0]
        encoder_mask = encoder_padding_mask if encoder_padding_mask is not None else masks[1]
        return x, encoder, decoder_mask, encoder_mask

    def run_with_scores(self, params, xs, mask=None, training=False, rng=None, decoder_padding_mask=None,
                        encoder_padding_mask=None, decoder_attention_mask=None, encoder_attention_mask=None,
                        use_causal_mask=True):
        """``(output (batch, T, d), {"self_attention": (batch, H, T, T)[, "cross_attention": (batch, H, T, Te)]})``."""
        check_input_arrays(self, xs if isinstance(xs, (list, tuple)) else [xs], ["decoder_sequence", "encoder_sequence"])
        cross = "cross_attention" in self.sublayers
        x, encoder, decoder_mask, encoder_mask = self.split_call(xs, mask, decoder_padding_mask,
                                                                 encoder_padding_mask)
        scores = {}
        x = self._attention_block(params, x, "self_attention", "self_attention_layer_norm", decoder_mask,
                                  training, rng, scores, attention_mask=decoder_attention_mask,
                                  use_causal_mask=bool(use_causal_mask))
        if cross:
            x = self._attention_block(params, x, "cross_attention", "cross_attention_layer_norm", encoder_mask,
                                      training, rng, scores, value=encoder, attention_mask=encoder_attention_mask)
        return self._feedforward_block(params, x, training, rng), scores
