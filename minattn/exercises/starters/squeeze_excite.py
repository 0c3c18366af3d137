"""Exercise squeeze_excite: squeeze-and-excitation, attention over the channels of an image.

Hu et al. (2018) let a network weigh its own channels: summarise each
channel by its mean ("squeeze"), pass the C means through a small
bottleneck MLP that outputs one weight per channel ("excite"), and rescale
the channels by those weights. The vision article (seed 002) builds it
from Keras layers; minattn has it as one layer (``SqueezeExcite``).

Fill in ``squeeze_excite``, then check your work:

    python -m minattn.exercises check my_squeeze_excite.py

Statement, maths and hints: docs/coursework/squeeze_excite.md.
"""
import autograd.numpy as anp  # noqa: F401 (for your code)

EXERCISE = "squeeze_excite"


def squeeze_excite(x, squeeze_kernel, squeeze_bias, excite_kernel, excite_bias, gate="hard_sigmoid"):
    """Squeeze-excitation of a batch of images, channels last.

        s   = mean over height and width of x                  (batch, C)   squeeze
        z   = relu6(s @ squeeze_kernel + squeeze_bias)         (batch, C/r) relu6(u) = min(max(u, 0), 6)
        w   = gate(z @ excite_kernel + excite_bias)            (batch, C)   excite: one weight per channel
        y   = x * w, w broadcast over height and width         (batch, H, W, C)

    The gates:
        "hard_sigmoid" (MobileNetV3): clip(u / 6 + 0.5, 0, 1)
        "sigmoid" (Hu et al.'s SENet): 1 / (1 + exp(-u))

    Args:
        x: images, (batch, H, W, C).
        squeeze_kernel: (C, C/r).
        squeeze_bias: (C/r,).
        excite_kernel: (C/r, C).
        excite_bias: (C,).
        gate: "hard_sigmoid" or "sigmoid".

    Returns:
        y, (batch, H, W, C): x with each channel of each image scaled by its weight.
    """
    # TODO: anp.mean over axes (1, 2); two dense layers (anp.dot); anp.clip for relu6 and the hard
    # sigmoid; reshape w to (batch, 1, 1, C) to multiply x.
    raise NotImplementedError("squeeze_excite: fill in this function")
