"""Grading of rnn_bptt: a tanh RNN over a sequence, and its backward pass through time written by hand.

Reference: the forward loop below (Keras's SimpleRNN layout, h_t = tanh(x_t W + h_{t-1} U + b)) and,
for the backward pass, autograd's vector-Jacobian product of that loop (``autograd.make_vjp``).
"""
from functools import partial

import autograd.numpy as anp
import numpy as np
from autograd import make_vjp

from .. import compare

SUMMARY = "a tanh RNN over a sequence and its backpropagation through time by hand: dx, dh0, dW, dU, db"
FUNCTIONS = ("rnn_forward", "rnn_backward")
BATCH, TIME, FEATURES, UNITS = 2, 5, 3, 4          # all different, so a wrong axis shows in the shape
INPUTS = ("x", "h0", "kernel", "recurrent_kernel", "bias")
GRADIENTS = ("dx", "dh0", "dkernel", "drecurrent_kernel", "dbias")
SHAPE_HINT = ("x is (batch, time, features): step t is x[:, t, :] (batch, features); kernel is (features, units) "
              "and recurrent_kernel (units, units).")
BACKWARD_HINT = ("Walk t from the last step to the first, carrying dh = dL/dh_t: add grad_hs[:, t], "
                 "da = dh * (1 - h_t^2), then dW += x_t^T da, dU += h_{t-1}^T da, db += sum of da over the batch, "
                 "dx_t = da W^T, and carry dh = da U^T to step t - 1 (at t = 0 it is dh0).")


def checks(module):
    forward, backward = module.rnn_forward, module.rnn_backward
    return [
        ("rnn_forward returns hs of shape (batch, time, units)", partial(check_forward_shape, forward)),
        ("hs matches a tanh RNN (Keras's SimpleRNN) step by step", partial(check_forward, forward, 1, TIME)),
        ("rnn_backward returns (dx, dh0, dkernel, drecurrent_kernel, dbias) of the inputs' shapes",
         partial(check_backward_shapes, backward)),
        ("dkernel, drecurrent_kernel and dbias match autograd's, summed over time",
         partial(check_backward, backward, 2, TIME, (2, 3, 4))),
        ("dx and dh0 match autograd's: the gradient flows back through every step",
         partial(check_backward, backward, 3, TIME, (0, 1))),
        ("a loss on the last step only (many-to-one): it still reaches x_0 and h0",
         partial(check_backward, backward, 4, TIME, range(5), last_only=True)),
        ("a sequence of one step", partial(check_backward, backward, 5, 1, range(5))),
        ("large inputs (x 1000: tanh written with exp overflows) give finite states and gradients",
         partial(check_large, forward, backward)),
    ]


def random_case(seed, time, scale=1.0):
    """``(x, h0, kernel, recurrent_kernel, bias)``; h0 and the bias are non-zero, so leaving one out shows."""
    rng = np.random.default_rng(seed)
    shapes = [(BATCH, time, FEATURES), (BATCH, UNITS), (FEATURES, UNITS), (UNITS, UNITS), (UNITS,)]
    x, *rest = [0.7 * rng.standard_normal(shape) for shape in shapes]
    return [scale * x] + rest


def forward_reference(x, h0, kernel, recurrent_kernel, bias, activation=anp.tanh):
    """hs (batch, time, units): h_t = tanh(x_t W + h_{t-1} U + b), differentiable by autograd."""
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = activation(anp.dot(x[:, t], kernel) + anp.dot(h, recurrent_kernel) + bias)     # (batch, units)
        hs.append(h)
    return anp.stack(hs, axis=1)


def backward_reference(inputs, grad_hs):
    """autograd's VJP of the forward loop: the five gradients."""
    with np.errstate(over="ignore"):                 # tanh's VJP is g / cosh(a)^2: cosh(1000) = inf gives 0, rightly
        vjp, _ = make_vjp(lambda args: forward_reference(*args))(list(inputs))
        return tuple(vjp(grad_hs))


def check_forward_shape(fn):
    hs = compare.call(fn, *random_case(0, TIME))
    compare.expect_shape(hs, (BATCH, TIME, UNITS), "hs", "(batch, time, units)",
                         "Stack the states of every step along axis 1 (np.stack(states, axis=1)).")


def check_forward(fn, seed, time):
    inputs = random_case(seed, time)
    hs = compare.call(fn, *inputs)
    compare.expect_shape(hs, (BATCH, time, UNITS), "hs", "(batch, time, units)")
    compare.expect_close(hs, forward_reference(*inputs), "hs", forward_mistakes(*inputs))


def check_large(forward, backward):
    inputs = random_case(6, TIME, 1000.0)
    hs = compare.call(forward, *inputs)
    compare.expect_finite(hs, "hs", "Use anp.tanh (np.tanh): (exp(2a) - 1) / (exp(2a) + 1) overflows to inf / inf "
                          "for a above about 355.")
    compare.expect_close(hs, forward_reference(*inputs), "hs")
    check_backward(backward, 6, TIME, range(5), scale=1000.0)


def check_backward_shapes(fn):
    inputs = random_case(0, TIME)
    hs = forward_reference(*inputs)
    result = compare.call(fn, *inputs, hs, np.ones_like(hs))
    compare.expect_count(result, 5, "rnn_backward", GRADIENTS)
    for name, value, array in zip(GRADIENTS, result, inputs):
        compare.expect_shape(value, array.shape, name, f"the shape of {INPUTS[GRADIENTS.index(name)]}",
                             "Each gradient has the shape of the input it is the gradient of.")


def check_backward(fn, seed, time, which, last_only=False, scale=1.0):
    """The gradients at positions ``which`` of ``GRADIENTS`` equal autograd's."""
    inputs = random_case(seed, time, scale)
    hs = forward_reference(*inputs)
    grad_hs = np.random.default_rng(seed + 100).standard_normal(hs.shape)
    if last_only:
        grad_hs[:, :-1] = 0.0                                      # the loss sees only h_T
    result = compare.call(fn, *inputs, hs, grad_hs)
    compare.expect_count(result, 5, "rnn_backward", GRADIENTS)
    for value, array, name in zip(result, inputs, GRADIENTS):
        compare.expect_shape(value, array.shape, name, "the shape of the matching input")
        compare.expect_finite(value, name, "")
    expected = backward_reference(inputs, grad_hs)
    wrong = backward_mistakes(inputs, hs, grad_hs)
    picked = list(which)
    compare.expect_close([result[i] for i in picked], [expected[i] for i in picked],
                         tuple(GRADIENTS[i] for i in picked),
                         [(hint, partial(lambda compute: [compute()[i] for i in picked], compute))
                          for hint, compute in wrong])


def forward_mistakes(x, h0, kernel, recurrent_kernel, bias):
    """What common slips in the forward loop return, each as (hint, compute)."""
    return [("your first step starts from zeros: it must start from h0.",
             lambda: forward_reference(x, np.zeros_like(h0), kernel, recurrent_kernel, bias)),
            ("you left out tanh: h_t = tanh(x_t W + h_{t-1} U + b).",
             lambda: forward_reference(x, h0, kernel, recurrent_kernel, bias, activation=lambda a: a)),
            ("you used recurrent_kernel transposed: h_{t-1} U with U (units, units) as given, not U^T.",
             lambda: forward_reference(x, h0, kernel, recurrent_kernel.T, bias))]


def manual_backward(inputs, hs, grad_hs, carry=True, derivative=True, previous=True):
    """BPTT by hand, with switches for the usual slips: no carry through time, no tanh', h_t for h_{t-1}."""
    x, h0, kernel, recurrent_kernel, bias = inputs
    grads = [np.zeros_like(a) for a in inputs]
    dh = np.zeros_like(h0)
    for t in reversed(range(x.shape[1])):
        dh = (dh if carry else 0.0) + grad_hs[:, t]
        da = dh * (1.0 - hs[:, t] ** 2) if derivative else dh
        before = (hs[:, t - 1] if t > 0 else h0) if previous else hs[:, t]
        grads[0][:, t] = da @ kernel.T
        grads[2] += x[:, t].T @ da
        grads[3] += before.T @ da
        grads[4] += da.sum(axis=0)
        dh = da @ recurrent_kernel.T
    grads[1] = dh
    return tuple(grads)


def backward_mistakes(inputs, hs, grad_hs):
    return [("your gradient does not flow back through time: carry dh = da U^T from step t to step t - 1 and add "
             "it to grad_hs[:, t - 1]. " + BACKWARD_HINT, lambda: manual_backward(inputs, hs, grad_hs, carry=False)),
            ("you left out tanh's derivative: da = dh * (1 - h_t^2). " + BACKWARD_HINT,
             lambda: manual_backward(inputs, hs, grad_hs, derivative=False)),
            ("drecurrent_kernel uses h_t; it needs the state the step started from, h_{t-1} (h0 at t = 0). "
             + BACKWARD_HINT, lambda: manual_backward(inputs, hs, grad_hs, previous=False))]
