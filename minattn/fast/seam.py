"""The one seam: where a fast kernel may take over a layer.

Every layer's maths is its ``apply`` -- the readable path. A layer runs
through ``Layer.forward``, which asks ``kernel_for(layer)`` first: when the
fast path is on (the default; ``minattn.set_fused(False)`` or
``with minattn.traced():`` turns it off) and a kernel is registered for the
layer's exact class and supports its settings, the kernel runs instead;
otherwise ``apply`` does. Keras's LSTM does the same with cuDNN: try the fast
kernel, fall back to the plain loop.

The kernels themselves are registered in ``minattn.fast.kernels``.
"""
from .. import config

KERNELS = {}            # layer class -> Kernel


class Kernel:
    """A fast kernel for one layer class.

    Args:
        run: ``run(layer, params, x, **kwargs)``, the same contract as
            ``layer.apply(params, x, **kwargs)``.
        supports: ``supports(layer) -> bool``, whether this layer's settings
            (its activations, say) are ones the kernel can run.
    """

    def __init__(self, run, supports=lambda layer: True):
        self.run, self.supports = run, supports


def register(layer_class, supports=lambda layer: True):
    """Decorator: ``@register(Dense, supports=...)`` over ``run(layer, params, x, **kwargs)``."""
    def decorate(run):
        KERNELS[layer_class] = Kernel(run, supports)
        return run
    return decorate


def kernel_for(layer):
    """The ``run`` function that takes over ``layer`` now, or None (then ``layer.apply`` runs)."""
    if not config.fused():
        return None
    kernel = KERNELS.get(type(layer))               # exact class: a subclass may change the maths
    return kernel.run if kernel is not None and kernel.supports(layer) else None
