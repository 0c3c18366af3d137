"""One grading module per exercise, and the list of exercises in the suggested order.

Each module ``checks/<name>.py`` defines

* ``SUMMARY``: one line, what the student implements;
* ``FUNCTIONS``: the names the student's file must define;
* ``checks(module)``: a list of ``(title, check)`` pairs, ``check()`` raising
  ``CheckFailure`` with a message for the student when it fails.
"""
import importlib

EXERCISES = (
    "softmax_vjp",
    "masked_softmax",
    "scaled_dot_attention",
    "additive_score",
    "attention_pooling",
    "lstm_cell",
    "gru_cell",
    "local_p_weights",
    "squeeze_excite",
    "adam_update",
    "layer_norm_vjp",
    "multi_head_attention",
    "rnn_bptt",
)


def grader(name):
    """The grading module of exercise ``name`` (one of ``EXERCISES``)."""
    if name not in EXERCISES:
        raise KeyError(f"unknown exercise {name!r}; the exercises are: {', '.join(EXERCISES)}")
    return importlib.import_module(f"{__name__}.{name}")
