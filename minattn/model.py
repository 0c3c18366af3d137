"""``Model(inputs, outputs)``: a graph of layers, run as one pure function.

    params = model.params                       # {layer_name: {weight_name: array}}
    y = model.apply(params, x)                  # pure: autograd can differentiate it
    grads = autograd.grad(lambda p: np.mean(model.apply(p, x) ** 2))(params)

The weights live on the layers, so a second Model over tensors of the first
(``Model(inputs, attention_probs)``) uses the same, trained, weights.

Every method is here; the longer ones hand over to the file that holds their
idea: ``training.py`` (compile / fit / evaluate / predict), ``saving.py``
(save_weights / load_weights), ``added_losses.py`` (the checks and sums of
``add_loss``), ``summary.py`` (the table).
"""
import numpy as np

from . import added_losses, saving, training
from .fast.table import record_for
from .graph import SymbolicTensor
from .layers.input_layer import InputLayer
from .layers.vocabulary import show_shape, unique_name
from .pytree import named_leaves, tree_map
from .summary import format_summary


def _as_tensor_list(tensors, what):
    items = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    for t in items:
        if not isinstance(t, SymbolicTensor):
            raise TypeError(f"Model: {what} must be tensors from Input() or from calling a layer, "
                            f"got {type(t).__name__}")
    if not items:
        raise ValueError(f"Model: no {what} given")
    return items


def run_layer(layer, params, x, **call):
    """One call of ``layer`` as the graph runs it: its record when the fast path has one
    (``fast.table.record_for``; ``Record.run`` is one autograd primitive, so this stays
    differentiable), else ``layer.forward`` -- the mask check, then ``apply``."""
    record = record_for(layer, isinstance(x, (list, tuple)))
    if record is None:
        return layer.forward(params, x, **call)
    layer.check_call(x, call)
    return record.run(layer, params, x, **call)


class Model:
    """A model from its input tensor(s) to its output tensor(s).

    Args:
        inputs: a tensor from ``Input`` or a list of them.
        outputs: a tensor (or list) computed from ``inputs`` by layers.
        name: default model_1, model_2, ...

    Attributes:
        layers: the layers in the order they run (inputs first).
        params: the weights pytree ``{layer_name: {weight_name: array}}``.
        added_losses: the ``(tensor, weight)`` pairs given to ``add_loss``.
    """

    def __init__(self, inputs, outputs, name=None):
        self.name = name or unique_name("model")
        self.inputs = _as_tensor_list(inputs, "inputs")
        self.outputs = _as_tensor_list(outputs, "outputs")
        self._single_output = not isinstance(outputs, (list, tuple))
        self.nodes = self._collect_nodes(self.outputs, "the outputs", every_input=True)
        self.added_losses = []
        self.nodes_with_losses = self.nodes       # grows with add_loss; see apply_with_losses
        self.layers = list(dict.fromkeys(node.layer for node in self.nodes))
        names = [layer.name for layer in self.layers]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"Model '{self.name}': layer names must be unique, {duplicated} "
                             "appear more than once")
        self.compiled = None
        self.stop_training = False      # a callback sets it to end fit (Keras's flag)
        self.history = None             # the History of the last fit

    def _collect_nodes(self, tensors, what, every_input=False):
        """Every node between the inputs and ``tensors``, in creation order.

        Raises ValueError if ``what`` (e.g. "the outputs") needs an input that is
        not one of the model's, or, with ``every_input``, if an input is unused.
        """
        input_nodes = {t.node for t in self.inputs}
        seen, stack = set(), [t.node for t in tensors]
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in input_nodes:
                continue
            if isinstance(node.layer, InputLayer):
                raise ValueError(f"Model '{self.name}': graph disconnected -- {what} need "
                                 f"input '{node.layer.name}', which is not among the model's inputs "
                                 f"{[t.layer.name for t in self.inputs]}")
            stack.extend(t.node for t in node.inputs)
        missing = input_nodes - seen
        if every_input and missing:
            raise ValueError(f"Model '{self.name}': input(s) {[n.layer.name for n in missing]} "
                             "are not used by any output")
        return sorted(seen, key=lambda node: node.id)

    # -- the pure forward pass ----------------------------------------------
    def apply(self, params, *inputs, training=False, rng=None):
        """Run the model on arrays with weights ``params``; pure, differentiable.

        Args:
            params: pytree like ``model.params``.
            *inputs: one array per model input, each ``(batch,) + input shape``.
            training: True during ``fit`` (switches Dropout on).
            rng: the random generator Dropout draws from.

        Returns:
            The output array, or a list of them for a model with several outputs.
        """
        return self._outputs(self._run_nodes(self.nodes, params, inputs, training, rng))

    def apply_with_losses(self, params, *inputs, training=False, rng=None):
        """``apply`` plus the terms given to ``add_loss``, in one forward pass.

        The nodes the added tensors need run in the same pass as the outputs'
        (a node both need runs once), so training adds the penalty without a
        second forward pass.

        Args:
            params: pytree like ``model.params``.
            *inputs: one array per model input, each ``(batch,) + input shape``.
            training: True during ``fit`` (switches Dropout on).
            rng: the random generator Dropout draws from.

        Returns:
            ``(outputs, added)``: outputs as ``apply`` returns them, and a list
            with ``weight * mean(tensor)`` (a scalar) for each ``add_loss`` call.
        """
        values = self._run_nodes(self.nodes_with_losses, params, inputs, training, rng)
        added = [added_losses.weighted_mean(values[tensor], weight) for tensor, weight in self.added_losses]
        return self._outputs(values), added

    def _outputs(self, values):
        """The output array(s) from the forward pass's ``values``, as ``apply`` returns them."""
        outputs = [values[t] for t in self.outputs]
        return outputs[0] if self._single_output else outputs

    def _run_nodes(self, nodes, params, inputs, training, rng):
        """Run ``nodes`` in order on the input arrays; the dict symbolic tensor -> array."""
        if len(inputs) != len(self.inputs):
            raise ValueError(f"Model '{self.name}': expected {len(self.inputs)} input arrays, "
                             f"got {len(inputs)}")
        values = {t: x for t, x in zip(self.inputs, inputs)}
        masks = {t: None for t in self.inputs}
        for node in nodes:
            if isinstance(node.layer, InputLayer):
                continue
            self._run_node(node, params, values, masks, training, rng)
        return values

    @staticmethod
    def _run_node(node, params, values, masks, training, rng):
        x, mask, kwargs = node.call_arguments([values[t] for t in node.inputs],
                                              [masks[t] for t in node.inputs], training, rng)
        out = run_layer(node.layer, params.get(node.layer.name, {}), x, **kwargs)
        outs = out if node.returns_list else [out]
        for tensor, value, m in zip(node.outputs, outs, node.output_masks(x, mask)):
            values[tensor] = value
            masks[tensor] = m

    # -- extra loss terms ---------------------------------------------------------
    def add_loss(self, tensor, weight=1.0):
        """Add ``weight * mean(tensor)`` to the loss that ``fit`` minimises and ``evaluate`` reports.

        Keras's ``model.add_loss``: a penalty computed inside the model (an
        activity regulariser, Lin et al.'s attention penalty) joins the loss
        with no extra model output and no dummy targets. The mean is over the
        batch and every other axis. ``fit`` computes it in the same forward
        pass as the outputs (``apply_with_losses``) and differentiates it
        with them; history's ``loss`` includes it. ``predict`` and ``apply``
        ignore it. Each call adds one more term; it may come after
        ``compile``. A second ``Model`` over the same tensors does not
        inherit it.

        Args:
            tensor: a tensor computed from this model's inputs, e.g.
                ``Lambda(attention_penalty)(A)``. Every layer with weights it
                passes through must also be used by the model's outputs.
            weight: a finite number multiplying the term (default 1.0).

        Raises:
            TypeError: ``tensor`` is not a symbolic tensor, or ``weight`` is not a number.
            ValueError: ``tensor`` needs an input that is not the model's, or a
                layer with weights that the outputs do not use; or ``weight`` is not finite.

        Example:
            >>> m, a = StructuredSelfAttention(16, r=4, return_attention=True)(states)
            >>> model = Model(inputs, Dense(1, activation="sigmoid")(Flatten()(m)))
            >>> model.add_loss(Lambda(attention_penalty)(a), weight=0.01)
        """
        weight = added_losses.checked_term(self, tensor, weight)
        nodes = self._collect_nodes([tensor], "the add_loss tensor")
        added_losses.check_loss_layers(self, nodes)
        self.added_losses.append((tensor, weight))
        self.nodes_with_losses = sorted(set(self.nodes_with_losses) | set(nodes),
                                         key=lambda node: node.id)   # creation order runs parents first

    # -- training (training.py) ---------------------------------------------------
    def compile(self, optimizer="adam", loss=None, metrics=None):
        """Choose optimizer, loss and metrics.

        Args:
            optimizer: an instance (``Adam()``) or a name ("adam", "sgd").
            loss: a name ("mse", "binary_crossentropy", ...), a function
                ``(y_true, y_pred) -> per-sample loss``, or a list, one per output.
            metrics: a list, e.g. ``["accuracy"]`` (a bare string is an error,
                as in Keras 3).

        Raises:
            ValueError: an unknown name, or the model's weights mix float
                types (see ``docs/reliability.md``).
        """
        if loss is None:
            raise ValueError(f"compile: model '{self.name}' needs a loss, e.g. loss='mse'")
        self.compiled = training.Compiled(self, optimizer, loss, metrics)

    def fit(self, x, y, epochs=1, batch_size=32, validation_split=0.0, validation_data=None,
            shuffle=True, verbose=1, callbacks=None):
        """Train for ``epochs`` passes over the data; return a ``History`` (also ``model.history``).

        Args:
            x: an array, or a list of arrays, one per input (nested Python
                lists of numbers are one array for a single-input model).
            y: an array, or a list of arrays, one per output.
            epochs: passes over the training data.
            batch_size: samples per gradient step (default 32).
            validation_split: fraction in [0, 1) held out for validation --
                the LAST samples, taken before shuffling, as Keras does.
            validation_data: ``(x_val, y_val)``; overrides validation_split.
            shuffle: reshuffle the training samples every epoch.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: a list of ``minattn.callbacks.Callback`` (EarlyStopping,
                ModelCheckpoint, CSVLogger, LearningRateScheduler, ...), called
                as Keras calls them; one sets ``model.stop_training`` to stop.

        Each epoch's ``loss`` is the mean of its batch losses (weighted by
        batch size), as Keras reports it, including any ``add_loss`` terms;
        ``val_`` values are computed on the validation data after the epoch.
        The layers hold the latest weights after every step.

        Divergence: a step whose loss or weight update is not finite is not
        applied; training stops there, with a ``TrainingDiverged`` warning
        (a ``RuntimeWarning``) naming the epoch and batch -- fit does not
        raise. The update that led to a non-finite loss is taken back too,
        so the model keeps the weights whose loss was last seen finite, and
        ``evaluate`` or another ``fit`` can go on from them. The returned
        History holds the completed epochs plus the partial one (its applied
        batches), with ``history.diverged`` True and ``history.stop_reason``
        saying where.
        """
        return training.fit(self, x, y, epochs=epochs, batch_size=batch_size,
                            validation_split=validation_split, validation_data=validation_data,
                            shuffle=shuffle, verbose=verbose, callbacks=callbacks)

    def evaluate(self, x, y, batch_size=32, verbose=0):
        """Loss (and metrics) on the given data: a float, or ``[loss, metric, ...]``.

        The loss includes the ``add_loss`` terms, as ``fit``'s does.
        """
        return training.evaluate(self, x, y, batch_size=batch_size, verbose=verbose)

    def predict(self, x, batch_size=32):
        """The model's outputs for ``x``, computed ``batch_size`` samples at a time (no ``add_loss`` terms)."""
        return training.predict(self, x, batch_size=batch_size)

    # -- weights -------------------------------------------------------------
    @property
    def params(self):
        """The weights pytree ``{layer_name: {weight_name: array}}`` (layers without weights left out)."""
        return {layer.name: dict(layer.params) for layer in self.layers if layer.params}

    def set_params(self, params):
        """Give every layer its weights from a pytree shaped like ``model.params``."""
        self._check_params(params)
        for layer in self.layers:
            if layer.params:
                layer.params = tree_map(np.array, params[layer.name])               # copies

    def assign_params(self, params):
        """Give every layer its weights from ``params`` as they are (no copy, no check).

        ``fit`` calls it after every step, so the layers always hold the
        latest weights; use ``set_params`` to set weights of your own.
        """
        for layer in self.layers:
            if layer.params:
                layer.params = params[layer.name]

    def _check_params(self, params):
        for name, weights in self.params.items():
            if name not in params:
                raise ValueError(f"Model '{self.name}': no weights given for layer '{name}'")
            for key, old in named_leaves(weights):
                new = params[name]
                for part in key.split("/"):                 # nested: 'forward_lstm_1/kernel'
                    new = new.get(part) if isinstance(new, dict) else None
                if new is None or np.shape(new) != old.shape:
                    raise ValueError(f"Model '{self.name}': weight '{name}/{key}' must have shape "
                                     f"{old.shape}, got {None if new is None else np.shape(new)}")

    def get_layer(self, name):
        """The layer called ``name``."""
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Model '{self.name}': no layer named {name!r}; layers are "
                         f"{[layer.name for layer in self.layers]}")

    def get_weights(self):
        """All weights as a list of arrays, layer by layer, in Keras's order."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        """Set all weights from a list in ``get_weights`` order (checked before any change)."""
        expected = self.get_weights()
        if len(weights) != len(expected):
            raise ValueError(f"Model '{self.name}': expected {len(expected)} weight arrays, "
                             f"got {len(weights)}")
        for i, (old, new) in enumerate(zip(expected, weights)):
            if np.shape(new) != old.shape:
                raise ValueError(f"Model '{self.name}': weight array {i} must have shape "
                                 f"{old.shape}, got {np.shape(new)}")
        position = 0
        for layer in self.layers:
            count = len(layer.get_weights())
            layer.set_weights(weights[position:position + count])
            position += count

    def count_params(self):
        """Total number of weights (scalars)."""
        return sum(layer.count_params() for layer in self.layers)

    # -- saving (saving.py) ----------------------------------------------------------
    def save_weights(self, path):
        """Save the weights to an ``.npz`` file, atomically.

        The file holds one array per ``layer/weight`` and a manifest of the
        layers with weights (class, weight names and shapes, in order), so it
        can be loaded into a rebuilt model by structure. It is written to a
        temporary file in the same folder and moved into place
        (``os.replace``) only when complete: a save that fails leaves the
        previous file as it was.

        Args:
            path: a file name ending in ``.npz`` (anything else is a ``ValueError``:
                minattn writes no ``.h5`` or ``.keras`` files).

        Raises:
            ValueError: the name does not end in ``.npz``.
            FileNotFoundError: its folder does not exist.
        """
        saving.save_weights(self, path)

    def load_weights(self, path, by_name=False):
        """Load weights saved by ``save_weights``; all or nothing.

        By default the file is matched to the model by structure, as Keras 3
        does: the i-th layer with weights in the file gives its weights to the
        i-th layer with weights in the model, which must have the same class
        and the same weight shapes; layer names do not matter, so the same
        architecture rebuilt in the same process (``dense_4`` instead of
        ``dense_2``) loads its checkpoint. A file written before the manifest
        existed is matched by layer name instead.

        With ``by_name=True`` (Keras 2's option) each model layer whose name
        appears in the file takes the weights saved under that name; model
        layers not in the file keep their weights and file layers not in the
        model are ignored, as in Keras 2. A matched layer whose weights differ
        in number or shape is an error naming the layer and the shapes.

        Every array is read, matched, cast to the weight's dtype and checked
        (shape, finite) before any layer changes: a file that does not fit
        raises and leaves the model exactly as it was.

        Args:
            path: an ``.npz`` file from ``save_weights``.
            by_name: match layers by name instead of by structure.

        Raises:
            FileNotFoundError: no file at ``path``.
            ValueError: the file cannot be read or does not fit (the message
                names the layer, the weight and both shapes); nothing was loaded.
        """
        saving.load_weights(self, path, by_name=by_name)

    # -- display -----------------------------------------------------------------
    def summary(self, print_fn=print):
        """Print the Keras-2 table: Layer (type), Output Shape, Param #, Connected to."""
        print_fn(format_summary(self))

    def __repr__(self):
        ins = ", ".join(show_shape(t.shape) for t in self.inputs)
        outs = ", ".join(show_shape(t.shape) for t in self.outputs)
        return f"<Model '{self.name}': {ins} -> {outs}, {self.count_params()} params>"
