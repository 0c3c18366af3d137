"""TransformerEncoder and TransformerDecoder as fast records, composed of the sub-layers' records.

A block is a chain of residual sub-layers (``layers/transformer.py``); each
is run by the fast pieces of its parts -- ``layer_norm``, ``multihead``'s
``attend``, the feed-forward rows below, ``dropout`` -- and differentiated
by their backward functions in reverse order:

    post-norm:  r = x + drop(f(x)),       y = LN(r)     g_r = LN'(g_y),  g_x = g_r + f'(drop'(g_r))
    pre-norm:   h = LN(x), y = x + drop(f(h))            g_x = g_y + LN'(f'(drop'(g_y)))

where f is self-attention, cross-attention (the decoder given an encoder's
output; its key/value gradient goes to the encoder sequence) or the
feed-forward network ``act(h W1 + b1) W2 + b2``. The random numbers are drawn
in the readable block's order (each attention's dropout, then its residual's),
so with the same ``rng`` both paths drop the same entries.
"""
from ..layers.transformer import TransformerDecoder, TransformerEncoder
from ..layers.vocabulary import layer_label
from . import layer_norm
from .dropout import apply_keep, dropout_keep
from .elementwise import activate_keeping, kept_vjp, supports_keeping
from .multihead import attend, attend_backward, group_input_grad
from .record import Record


# -- the feed-forward network on every position: act(x W1 + b1) W2 + b2 ---------------------
def feedforward(params, x, activation):
    """``(y (B, T, d), saved)``; params holds the two Dense sub-layers' weights."""
    first, second = params["feedforward_intermediate_dense"], params["feedforward_output_dense"]
    x_rows = x.reshape(-1, x.shape[-1])                                      # (B * T, d)
    z = x_rows.dot(first["kernel"])                                           # (B * T, intermediate)
    z += first["bias"]
    hidden, kept = activate_keeping(activation, z)
    y = hidden.dot(second["kernel"])                                           # (B * T, d)
    y += second["bias"]
    return y.reshape(x.shape), (x_rows, hidden, kept)


def feedforward_backward(params, saved, g, activation):
    """``(dx, {sub-layer name: its weight gradients})`` of ``feedforward``."""
    first, second = params["feedforward_intermediate_dense"], params["feedforward_output_dense"]
    x_rows, hidden, kept = saved
    g_rows = g.reshape(hidden.shape[0], -1)                                  # (B * T, d)
    d_hidden = g_rows.dot(second["kernel"].T)                                # (B * T, intermediate)
    dz = kept_vjp(activation, kept, d_hidden)
    grads = {"feedforward_output_dense": {"kernel": hidden.T.dot(g_rows), "bias": g_rows.sum(axis=0)},
             "feedforward_intermediate_dense": {"kernel": x_rows.T.dot(dz), "bias": dz.sum(axis=0)}}
    return dz.dot(first["kernel"].T).reshape(g.shape), grads


# -- the residual wrapper ---------------------------------------------------------------
def norm_forward(block, params, name, x):
    return layer_norm.forward(block.sublayers[name], params[name], x)


def norm_backward(block, params, name, saved, g):
    return layer_norm.backward(block.sublayers[name], params[name], saved, g, (True,))


def residual(block, params, x, norm_name, sublayer, training, rng):
    """``(y, saved)`` of one residual sub-layer; ``sublayer(h) -> (f(h), its saved)``."""
    inner, norm_saved = norm_forward(block, params, norm_name, x) if block.normalize_first else (x, None)
    out, sub_saved = sublayer(inner)
    kept = dropout_keep(block.dropout, out.shape, training, rng)
    y = x + apply_keep(out, kept)
    if not block.normalize_first:
        y, norm_saved = norm_forward(block, params, norm_name, y)
    return y, (norm_name, norm_saved, sub_saved, kept)


def residual_backward(block, params, saved, g, sublayer_backward, grads):
    """d loss / d x of ``residual``; the weights' gradients go into ``grads``."""
    norm_name, norm_saved, sub_saved, kept = saved
    if not block.normalize_first:
        g, grads[norm_name] = norm_backward(block, params, norm_name, norm_saved, g)
    d_inner = sublayer_backward(sub_saved, apply_keep(g, kept))
    if block.normalize_first:
        d_inner, grads[norm_name] = norm_backward(block, params, norm_name, norm_saved, d_inner)
    return g + d_inner


# -- the sub-layers as steps: (norm name, run(h) -> (f(h), saved), backward(saved, g, grads, extra) -> dh)
def attention_step(block, params, name, norm_name, key_mask, training, rng, value=None):
    """Attention sub-layer ``name`` over h itself (self-attention) or over ``value`` (cross-attention,
    whose key/value gradient the backward puts in ``extra["value"]``)."""
    layer = block.sublayers[name]

    def run(h):
        values = h if value is None else value
        out, _, saved = attend(layer, params[name], h, values, values, None, key_mask, layer.causal,
                               training, rng)
        return out, saved

    def backward(saved, g, grads, extra):
        d_rows, grads[name] = attend_backward(layer, params[name], saved, g, None)
        groups = saved[0]                # [query, key and value] of h, or [query of h], [key, value]
        if value is not None:
            extra["value"] = group_input_grad(groups[1], params[name], d_rows[1], groups[1].parts)
        return group_input_grad(groups[0], params[name], d_rows[0], groups[0].parts)
    return norm_name, run, backward


def feedforward_step(block, params):
    def run(h):
        return feedforward(params, h, block.activation)

    def backward(saved, g, grads, extra):
        dh, ff_grads = feedforward_backward(params, saved, g, block.activation)
        grads.update(ff_grads)
        return dh
    return "feedforward_layer_norm", run, backward


def run_block(block, params, x, steps, training, rng):
    """``(y, tape)``: the residual steps run in order."""
    tape = []
    for norm_name, run, backward in steps:
        x, saved = residual(block, params, x, norm_name, run, training, rng)
        tape.append((saved, backward))
    return x, tape


def block_backward(block, params, tape, g):
    """``(dx, extra, grads)``: the gradients of the block's input, of the encoder sequence
    (``extra["value"]``, for a decoder with cross-attention) and of every weight."""
    grads, extra = {}, {}
    for saved, backward in reversed(tape):
        g = residual_backward(block, params, saved, g,
                              lambda s, d, step=backward: step(s, d, grads, extra), grads)
    return g, extra, {name: grads[name] for name in params}          # in the weights' order


# -- the records ----------------------------------------------------------------------------
def encoder_forward(layer, params, x, mask=None, training=False, rng=None, padding_mask=None):
    if isinstance(x, (list, tuple)):
        raise ValueError(f"{layer_label(layer)}: expected one sequence, got a list of {len(x)}")
    key_mask = padding_mask if padding_mask is not None else first_mask(mask)
    steps = [attention_step(layer, params, "self_attention_layer", "self_attention_layer_norm", key_mask,
                            training, rng),
             feedforward_step(layer, params)]
    return run_block(layer, params, x, steps, training, rng)


def encoder_backward(layer, params, tape, g, wanted):
    dx, _, grads = block_backward(layer, params, tape, g)
    return (dx if wanted[0] else None), grads


def decoder_forward(layer, params, xs, mask=None, training=False, rng=None, decoder_padding_mask=None,
                    encoder_padding_mask=None):
    cross = has_encoder(layer)
    if isinstance(xs, (list, tuple)) != cross or (cross and len(xs) != 2):
        built = "[decoder_sequence, encoder_sequence]" if cross else "decoder_sequence alone"
        raise ValueError(f"{layer_label(layer)}: was built for {built}; call it the same way")
    x, encoder = (xs[0], xs[1]) if cross else (xs, None)
    masks = list(mask) if isinstance(mask, (list, tuple)) else [mask, None]
    decoder_mask = decoder_padding_mask if decoder_padding_mask is not None else masks[0]
    encoder_mask = encoder_padding_mask if encoder_padding_mask is not None else masks[1]
    steps = [attention_step(layer, params, "self_attention", "self_attention_layer_norm", decoder_mask,
                            training, rng)]
    if cross:
        steps.append(attention_step(layer, params, "cross_attention", "cross_attention_layer_norm",
                                    encoder_mask, training, rng, value=encoder))
    steps.append(feedforward_step(layer, params))
    return run_block(layer, params, x, steps, training, rng)


def decoder_backward(layer, params, tape, g, wanted):
    dx, extra, grads = block_backward(layer, params, tape, g)
    if not has_encoder(layer):
        return (dx if wanted[0] else None), grads
    return [dx if wanted[0] else None, extra["value"] if wanted[1] else None], grads


def first_mask(mask):
    return mask[0] if isinstance(mask, (list, tuple)) else mask


def has_encoder(layer):
    """Whether the decoder was built for [decoder_sequence, encoder_sequence] (it takes a list)."""
    return "cross_attention" in layer.sublayers


def supported(layer):
    return supports_keeping(layer.activation)


RECORDS = {TransformerEncoder: Record(encoder_forward, encoder_backward, supported),
           TransformerDecoder: Record(decoder_forward, decoder_backward, supported, takes_list=None)}
