"""Reference solution of squeeze_excite (the statement is in the starter and docs/coursework/squeeze_excite.md)."""
import autograd.numpy as anp

EXERCISE = "squeeze_excite"


def squeeze_excite(x, squeeze_kernel, squeeze_bias, excite_kernel, excite_bias, gate="hard_sigmoid"):
    squeezed = anp.mean(x, axis=(1, 2))                                                # (batch, C)
    hidden = anp.clip(anp.dot(squeezed, squeeze_kernel) + squeeze_bias, 0.0, 6.0)     # relu6, (batch, C/r)
    logits = anp.dot(hidden, excite_kernel) + excite_bias                             # (batch, C)
    if gate == "hard_sigmoid":
        weights = anp.clip(logits / 6.0 + 0.5, 0.0, 1.0)
    elif gate == "sigmoid":
        weights = 0.5 * (anp.tanh(0.5 * logits) + 1.0)
    else:
        raise ValueError(f"gate must be 'hard_sigmoid' or 'sigmoid', got {gate!r}")
    return x * weights[:, None, None, :]
