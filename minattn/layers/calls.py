"""A layer's call arguments, as Keras names them: how ``layer(...)`` is read.

``Layer.__call__(*args, **kwargs)`` turns what the user wrote into two things:

* the layer's **inputs** -- one tensor or a list of them, as ``apply`` takes
  them. Keras calls some layers with their inputs as separate arguments
  (``MultiHeadAttention(...)(query, value, key=None)``,
  ``TransformerDecoder(...)(decoder_sequence, encoder_sequence)``) or passes
  tensors as keywords (``LSTM(...)(x, initial_state=[h, c])``); each becomes
  one more input of the list form minattn's ``apply`` reads
  (``[query, value, key]``, ``[x, h, c]``);
* the **call keywords** -- a dict of the other arguments given (``mask``,
  ``training``, ``use_causal_mask``, ...). Only the ones given are kept, so
  a layer's own default stays its default.

What a layer accepts is declared by class attributes on ``Layer``:

* ``call_inputs``: the names of its tensor arguments in positional order
  (default ``("inputs",)``); the first is required;
* ``state_keyword``: a keyword whose list of tensors is appended to the
  inputs (``"initial_state"`` for the recurrent layers);
* ``mask_keywords``: mask arguments. ``"mask"`` replaces the mask the
  input carries (all of it, as in Keras); ``"<input>_mask"`` (``query_mask``,
  ``value_mask``, ``key_mask``) replaces that one input's mask;
* ``call_keywords``: the other keywords handed to ``apply`` as they are;
* ``refused_keywords``: names Keras has that minattn cannot honour, each
  with the reason; refused by name when given anything but None.

``training`` is accepted by every layer, as in Keras; a layer with a
training behaviour (``accepts_training``) gets it, the others have none to
switch. Anything else is a ``TypeError`` naming the layer and the argument.
"""
from .vocabulary import combine_masks, layer_label


def mask_keywords(layer):
    """The mask arguments ``layer`` takes: its ``mask_keywords``, by default ``("mask",)``
    if it takes a mask at all."""
    if layer.mask_keywords is not None:
        return tuple(layer.mask_keywords)
    return ("mask",) if layer.accepts_mask else ()


def accepted_keywords(layer):
    """Every keyword ``layer(...)`` accepts besides its inputs, in a readable order."""
    state = (layer.state_keyword,) if layer.state_keyword else ()
    return (state + mask_keywords(layer) + ("training",) + tuple(layer.call_keywords)
            + tuple(layer.refused_keywords))


def bind_call(layer, args, kwargs):
    """``(inputs, call keywords)`` from the arguments of ``layer(*args, **kwargs)``.

    Raises:
        TypeError: an argument the layer does not take, one given twice, a
            missing first input, or inputs given both as a list and apart.
        ValueError: an argument Keras has that minattn cannot honour.
    """
    where, names, kwargs = layer_label(layer), layer.call_inputs, dict(kwargs)
    if len(args) > len(names):
        raise TypeError(f"{where}: takes {len(names)} positional input(s) ({', '.join(names)}), "
                        f"got {len(args)}; pass the other call arguments by name")
    given = dict(zip(names, args))
    for name in names:
        if name in kwargs:
            if name in given:
                raise TypeError(f"{where}: got two values for call argument {name!r}")
            given[name] = kwargs.pop(name)
    if names[0] not in given:
        raise TypeError(f"{where}: missing its input {names[0]!r}")
    state = kwargs.pop(layer.state_keyword, None) if layer.state_keyword else None
    _check_keywords(layer, where, kwargs)
    inputs = _gather_inputs(where, names, given, state, layer.state_keyword)
    return inputs, {key: value for key, value in kwargs.items() if key not in layer.refused_keywords}


def _check_keywords(layer, where, kwargs):
    """Each keyword one ``layer`` takes; ``training`` a bool or None; no refused one given."""
    unknown = [key for key in kwargs if key not in accepted_keywords(layer)]
    if unknown:
        raise TypeError(f"{where}: unexpected call argument {unknown[0]!r}; {type(layer).__name__} "
                        f"takes {list(layer.call_inputs) + list(accepted_keywords(layer))}")
    if kwargs.get("training") not in (None, True, False):
        raise TypeError(f"{where}: call argument 'training' must be True, False or None, "
                        f"got {kwargs['training']!r}")
    for key, reason in layer.refused_keywords.items():
        if kwargs.get(key) is not None:
            raise ValueError(f"{where}: call argument {key!r} is not supported: {reason}")


def _gather_inputs(where, names, given, state, state_name):
    """The input or the list of inputs ``apply`` takes: the first, then the others given."""
    inputs = given[names[0]]
    extras = [given.get(name) for name in names[1:]]
    while extras and extras[-1] is None:            # e.g. encoder_sequence=None: decoder only
        extras.pop()
    gaps = [index for index, extra in enumerate(extras) if extra is None]
    if gaps:
        missing, later = names[1 + gaps[0]], names[len(extras)]
        raise TypeError(f"{where}: {later!r} is given but {missing!r} is not")
    if state is not None:
        extras += list(state) if isinstance(state, (list, tuple)) else [state]
    if not extras:
        return inputs
    if isinstance(inputs, (list, tuple)):
        also = state_name if state is not None else names[1]
        raise TypeError(f"{where}: got {names[0]!r} as a list and {also!r} as well; "
                        f"give the inputs one way")
    return [inputs] + extras


def call_mask(layer, mask, call, input_count):
    """The mask ``apply`` gets: the input's ``mask`` with the call's mask arguments over it.

    ``mask=`` given (not None) replaces the whole mask; ``<input>_mask=`` the
    mask of that input alone (a None leaves the input's own), as Keras does.
    The mask of an input not given (``key_mask`` without a ``key``: the key
    is the value) is and'ed into the last input's.
    """
    if call.get("mask") is not None:
        return call["mask"]
    per_input = [name for name in layer.call_inputs if call.get(f"{name}_mask") is not None]
    if not per_input:
        return mask
    masks = list(mask) if isinstance(mask, (list, tuple)) else [mask] + [None] * (input_count - 1)
    masks += [None] * (input_count - len(masks))
    for index, name in enumerate(layer.call_inputs):
        given = call.get(f"{name}_mask")
        if given is None:
            continue
        if index < input_count:
            masks[index] = given
        else:                                       # e.g. key_mask, the key being the value
            masks[-1] = combine_masks(masks[-1], given)
    return masks


def apply_arguments(layer, x, mask, call, training, rng):
    """``(mask, keyword arguments of apply)`` for one call of ``layer`` on ``x``.

    Args:
        x: the layer's input (a list for several), to count the inputs.
        mask: the input's mask (propagated in a graph; None for arrays).
        call: the call keywords ``bind_call`` kept, tensors already replaced by arrays.
        training: the mode of the run (True in ``fit``); ``training=`` in
            ``call`` fixes it for this call, as in Keras.
        rng: the random generator of the run, or None (``config.rng()``).
    """
    mask = call_mask(layer, mask, call, len(x) if isinstance(x, (list, tuple)) else 1)
    kwargs = {}
    if layer.accepts_mask:
        kwargs["mask"] = mask
    if layer.accepts_training:
        chosen = call.get("training")
        kwargs.update(training=bool(training if chosen is None else chosen), rng=rng)
    kwargs.update((key, value) for key, value in call.items() if key in layer.call_keywords)
    return mask, kwargs
