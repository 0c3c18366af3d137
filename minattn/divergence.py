"""Why training probably diverged: the hint ``fit``'s ``TrainingDiverged`` warning gives.

It is read from what ``fit`` saw, in this order:

* targets or inputs of a large scale (max |value| above ``LARGE``): a loss
  of squared errors in the millions overflows float32 however small the
  learning rate -- scale the data;
* a loss that was finite and grew over the last steps: the steps overshoot
  -- a smaller learning rate, or ``clipnorm``;
* otherwise the learning rate (its value is given) or ``clipnorm``.

Integer inputs (token ids) and the targets of sparse losses (class ids) are
labels, not scales, and are not looked at.
"""
import numpy as np

from .losses import is_sparse

LARGE = 1e3              # |x| or |y| beyond this is "large" for data a network should see
RECENT_LOSSES = 6        # the last losses kept for the hint
RISING = 3               # steps of growth that say "overshooting"


def largest(arrays):
    """The largest |value| among the float arrays (0.0 if none)."""
    return max([float(np.max(np.abs(a))) for a in arrays if a.size and np.issubdtype(a.dtype, np.floating)],
               default=0.0)


def rising_steps(losses):
    """How many of the last steps in a row increased the loss."""
    count = 0
    for before, after in zip(reversed(losses[:-1]), reversed(losses[1:])):
        if not after > before:
            break
        count += 1
    return count


def likely_cause(model, xs, ys, recent_losses):
    """A sentence naming the likely cause of the divergence, with the numbers it is based on."""
    targets = [y for y, fn in zip(ys, model.compiled.losses) if not is_sparse(fn)]
    y_max, x_max = largest(targets), largest(xs)
    rate = getattr(model.compiled.optimizer, "learning_rate", None)
    rate_text = f"{float(rate):.3g}" if isinstance(rate, (int, float, np.floating)) else repr(rate)
    if y_max > LARGE:
        return (f"the targets are large (max |y| = {y_max:.3g}); scale them, e.g. divide y by its standard "
                "deviation (and multiply the predictions back)")
    if x_max > LARGE:
        return f"the inputs are large (max |x| = {x_max:.3g}); standardise them (mean 0, standard deviation 1)"
    losses = list(recent_losses)
    rising = rising_steps(losses)
    if rising >= RISING:
        return (f"the loss grew for the last {rising} steps ({losses[-rising - 1]:.4g} -> {losses[-1]:.4g}): "
                f"the learning rate {rate_text} is likely too large; try a smaller one or clipnorm")
    return (f"the data's scale looks fine (max |x| = {x_max:.3g}, max |y| = {y_max:.3g}); try a smaller "
            f"learning rate (now {rate_text}) or clipnorm")
