"""The one seam: where a fast kernel may take over a layer.

Every layer's maths is its ``apply`` -- the readable path. A layer runs
through ``Layer.forward``, which asks ``kernel_for(layer)`` first: when the
fast path is on (the default; ``minattn.set_fused(False)`` or
``with minattn.traced():`` turns it off) and a kernel is registered for the
layer's exact class and supports its settings, the kernel runs instead;
otherwise ``apply`` does. Keras's LSTM does the same with cuDNN: try the fast
kernel, fall back to the plain loop.

The kernels themselves are registered in ``minattn.fast.kernels``.

The fast training step goes one step further where it can: a layer may also
have a *rule* -- its forward pass and its hand-written backward pass as two
plain NumPy functions -- and when every layer of a model that holds weights
has one, ``fit`` runs the step without autograd's tape at all, calling each
layer's backward directly in reverse order (``fast.direct``). The rules are
registered in ``minattn.fast.rules``; ``rule_for(layer)`` is their lookup.
"""
import inspect

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
        self.run, self.supports = _or_apply(run), supports


def _or_apply(run):
    """``run``, falling back to the layer's ``apply`` when a call carries a keyword ``run`` does
    not take: a call argument the kernel was not written for is never dropped."""
    parameters = list(inspect.signature(run).parameters.values())[3:]          # after layer, params, x
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return run
    taken = {p.name for p in parameters}

    def run_or_apply(layer, params, x, **kwargs):
        if not taken.issuperset(kwargs):
            return layer.apply(params, x, **kwargs)
        return run(layer, params, x, **kwargs)
    return run_or_apply


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


RULES = {}              # layer class -> Rule


class Rule:
    """A layer's forward and backward pass as plain NumPy, for the tape-free step (``fast.direct``).

    Args:
        forward: ``forward(layer, params, x) -> (y, saved)``: the layer's output
            (as ``apply`` computes it, for input masks all None) and whatever
            the backward pass needs.
        backward: ``backward(layer, params, saved, g, wanted) -> (dx, dparams)``:
            ``g`` is d loss / d y; ``dx`` the gradient of the input (a list for a
            list of inputs, None where ``wanted`` -- one bool per input -- is
            False); ``dparams`` a dict like ``params`` of the weights' gradients.
        supports: ``supports(layer) -> bool``, whether the rule covers this
            layer's settings.
        takes_list: the rule's ``x`` is a list of inputs (Multiply, Add); a call
            of the layer on a list when it is False (an LSTM given initial
            states) runs without the rule.
    """

    def __init__(self, forward, backward, supports=lambda layer: True, takes_list=False):
        self.forward, self.backward, self.supports = forward, backward, supports
        self.takes_list = takes_list


def register_rule(layer_class, forward, backward, supports=lambda layer: True, takes_list=False):
    """Register the tape-free step's rule for ``layer_class`` (exact class, as for kernels)."""
    RULES[layer_class] = Rule(forward, backward, supports, takes_list)


def rule_for(layer):
    """The ``Rule`` for ``layer`` if the fast path is on and one covers its settings, else None."""
    if not config.fused():
        return None
    rule = RULES.get(type(layer))
    return rule if rule is not None and rule.supports(layer) else None
