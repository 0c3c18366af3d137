"""``Model(inputs, outputs)``: a graph of layers, run as one pure function.

    params = model.params                       # {layer_name: {weight_name: array}}
    y = model.apply(params, x)                  # pure: autograd can differentiate it
    grads = autograd.grad(lambda p: np.mean(model.apply(p, x) ** 2))(params)

The weights live on the layers, so a second Model over tensors of the first
(``Model(inputs, attention_probs)``) uses the same, trained, weights.

Every method is here; the longer ones hand over to the file that holds their idea:
``training.py`` (compile / fit), ``evaluation.py`` (evaluate / predict), ``saving.py``,
``added_losses.py`` (``add_loss``), ``summary.py``, ``model_graph.py`` (the nodes).
"""
import numpy as np

from . import added_losses, evaluation, saving, training
from .fast.table import record_for
from .layers.input_layer import InputLayer
from .layers.vocabulary import show_shape, unique_name
from .model_graph import as_tensor_list, check_params, collect_nodes
from .method_arguments import check_compile_options, refuse_unless_default
from .pytree import tree_map
from .summary import format_summary


def run_layer(layer, params, x, **call):
    """One call of ``layer`` as the graph runs it: its record when the fast path has one
    (``fast.table.record_for``; ``Record.run`` is one autograd primitive, so this stays
    differentiable), else ``layer.forward`` -- the mask check, then ``apply``."""
    record = record_for(layer, isinstance(x, (list, tuple)))
    if record is None or not record.takes(call):
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
        self.inputs = as_tensor_list(inputs, "inputs")
        self.outputs = as_tensor_list(outputs, "outputs")
        self._single_output = not isinstance(outputs, (list, tuple))
        self.nodes = collect_nodes(self, self.outputs, "the outputs", every_input=True)
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

    # -- the pure forward pass ----------------------------------------------
    def apply(self, params, *inputs, training=False, rng=None):
        """Run the model on arrays with weights ``params``; pure, differentiable.

        Args:
            params: pytree like ``model.params``.
            *inputs: one array per model input, each ``(batch,) + input shape``.
            training: True during ``fit`` (switches Dropout on).
            rng: the random generator Dropout draws from.

        Returns:
            The output array, or a list of them (several outputs).
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
        nodes = collect_nodes(self, [tensor], "the add_loss tensor")
        added_losses.check_loss_layers(self, nodes)
        self.added_losses.append((tensor, weight))
        self.nodes_with_losses = sorted(set(self.nodes_with_losses) | set(nodes),
                                         key=lambda node: node.id)   # creation order runs parents first

    # -- training (training.py, evaluation.py) ---------------------------------------
    def compile(self, optimizer="adam", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Choose optimizer, loss and metrics (Keras 3's arguments, in its order).

        Args:
            optimizer: an instance (``Adam()``) or a name ("adam", "sgd"). The
                default is "adam", not Keras's "rmsprop": minattn has no RMSprop.
            loss: a name ("mse", "binary_crossentropy", ...), a function
                ``(y_true, y_pred) -> per-sample loss``, or a list, one per output.
            loss_weights: only None (the outputs' losses are summed).
            metrics: a list, e.g. ``["accuracy"]`` (a bare string is an error, as in Keras 3).
            weighted_metrics: only None (metrics are not sample-weighted).
            run_eagerly: True or False: minattn always runs eagerly, in NumPy.
            steps_per_execution: only 1.
            jit_compile: "auto" or False: nothing is compiled.
            auto_scale_loss: True or False: no loss is scaled.

        Raises:
            ValueError: an unknown name; an option above at another value (named); or
                weights mixing float types (``docs/reliability.md``).
        """
        check_compile_options(f"Model '{self.name}' compile", loss_weights, weighted_metrics, run_eagerly,
                              steps_per_execution, jit_compile, auto_scale_loss)
        if loss is None:
            raise ValueError(f"compile: model '{self.name}' needs a loss, e.g. loss='mse'")
        self.compiled = training.Compiled(self, optimizer, loss, metrics)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train; return a ``History`` (also ``model.history``). Keras 3's arguments, in its order.

        Args:
            x: an array, or a list of arrays, one per input (nested Python
                lists of numbers are one array for a single-input model).
            y: an array, or a list of arrays, one per output.
            batch_size: samples per gradient step; None means 32.
            epochs: the index of the last epoch plus one (training runs epochs
                ``initial_epoch`` .. ``epochs - 1``).
            verbose: "auto" (= 1), 0 silent, 1 progress bar, 2 one line per epoch.
            callbacks: a list of ``minattn.callbacks.Callback`` (EarlyStopping, ModelCheckpoint,
                ...), called as Keras calls them; one sets ``model.stop_training`` to stop.
            validation_split: fraction in [0, 1) held out for validation --
                the LAST samples, taken before shuffling, as Keras does.
            validation_data: ``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``;
                overrides validation_split.
            shuffle: reshuffle the training samples every epoch (True or False).
            class_weight: ``{class id: weight}``: each sample's loss weighted by its target's class.
            sample_weight: per-sample weights of the loss, ``(samples,)`` (or the per-sample loss's
                shape), or one per output: ``sum(w * loss) / number of losses``, as in Keras 3.
            initial_epoch: the epoch to start from (resuming a run): callbacks
                and History see the real epoch indices.
            steps_per_epoch: only None (one pass over the arrays per epoch).
            validation_steps: only None.
            validation_batch_size: the validation pass's (None: batch_size).
            validation_freq: validate after every ``validation_freq``-th epoch.

        Each epoch's ``loss`` is the mean of its batch losses (weighted by batch size), with any
        ``add_loss`` terms. The layers hold the latest weights after every step.

        A stopped fit keeps its record: History sets ``model.history`` at
        every epoch end, so an exception in a callback or Ctrl-C leaves the
        completed epochs there. Ctrl-C stops within the batch, keeps the
        weights (and optimizer state) of the last completed step and
        re-raises ``KeyboardInterrupt``, as Keras does.

        Divergence: a step whose loss or update is not finite is not applied;
        fit stops (it does not raise) with a ``TrainingDiverged`` warning
        naming the epoch, the batch and the likely cause, and keeps the
        weights whose loss was last seen finite. The History holds the
        partial epoch too, with ``history.diverged`` and ``history.stop_reason``.
        """
        return training.fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
                            shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch,
                            validation_steps, validation_batch_size, validation_freq)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """Loss (and metrics) on the given data: a float, ``[loss, metric, ...]``, or a dict.

        Args:
            x: as for ``fit``.
            y: as for ``fit``.
            batch_size: samples per forward pass; None means 32.
            verbose: "auto" (= 1) prints a line with the logs; 0 silent.
            sample_weight: weights of each sample's loss, as for ``fit``.
            steps: only None.
            callbacks: only None.
            return_dict: return ``{"loss": ..., metric name: ...}``.
            **kwargs: none is known (a TypeError names it).

        The loss includes the ``add_loss`` terms, as ``fit``'s does.
        """
        return evaluation.evaluate(self, x, y, batch_size, verbose, sample_weight, steps, callbacks,
                                   return_dict, **kwargs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for ``x`` (no ``add_loss`` terms), in the model's float type.

        Args:
            x: as for ``fit``.
            batch_size: samples per forward pass; None means 32.
            verbose: "auto" (= 1) prints a progress line; 0 silent.
            steps: only None.
            callbacks: only None.
        """
        return evaluation.predict(self, x, batch_size, verbose, steps, callbacks)

    # -- weights -------------------------------------------------------------
    @property
    def params(self):
        """The weights pytree ``{layer_name: {weight_name: array}}`` (layers without weights left out)."""
        return {layer.name: dict(layer.params) for layer in self.layers if layer.params}

    def set_params(self, params):
        """Give every layer its weights from a pytree shaped like ``model.params``."""
        check_params(self, params)
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
    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights to an ``.npz`` file, atomically (``minattn.saving``).

        Written to a temporary file in the same folder and moved into place
        only when complete: a save that fails leaves the previous file as it
        was (and the next save removes a killed save's stale temporary file).

        Args:
            filepath: a file name ending in ``.npz`` (minattn writes no ``.h5`` or ``.keras``).
            overwrite: with False an existing file is a ``FileExistsError``
                (Keras asks on the terminal instead).
            max_shard_size: only None (one file).

        Raises:
            ValueError: the name does not end in ``.npz``, or max_shard_size is given.
            FileNotFoundError: its folder does not exist.
            PermissionError: the existing file is read-only (its mode is checked, for root too).
        """
        saving.save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, by_name=False):
        """Load weights saved by ``save_weights``; all or nothing.

        Matched by structure, as Keras 3 does (the i-th layer with weights in
        the file to the model's i-th, same class and shapes; names do not
        matter). Every array is checked before any layer changes: a file that
        does not fit raises and leaves the model as it was.

        Args:
            filepath: an ``.npz`` file from ``save_weights``.
            skip_mismatch: only False (a mismatch is an error, nothing loaded).
            by_name: minattn's extra keyword (Keras 2's option): each model
                layer whose name is in the file takes the weights saved under
                that name; other layers keep theirs.

        Raises:
            FileNotFoundError: no file at ``filepath``.
            ValueError: the file does not fit (the layer, weight and shapes named); nothing was loaded.
        """
        refuse_unless_default(f"Model '{self.name}' load_weights", {"skip_mismatch": (skip_mismatch, False)},
                              "minattn loads all weights or none")
        saving.load_weights(self, filepath, by_name=by_name)

    # -- display -----------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print the Keras-2 table: Layer (type), Output Shape, Param #, Connected to.

        Args:
            line_length: the table's width (default 98).
            positions: the right end of each of the 4 columns, as fractions of
                the width (<= 1) or in characters.
            print_fn: the function given the table (default ``print``).
            expand_nested: only False.
            show_trainable: only False.
            layer_range: only None.
        """
        refuse_unless_default(f"Model '{self.name}' summary", {
            "expand_nested": (expand_nested, False), "show_trainable": (show_trainable, False),
            "layer_range": (layer_range, None)})
        (print_fn or print)(format_summary(self, line_length, positions))

    def __repr__(self):
        ins = ", ".join(show_shape(t.shape) for t in self.inputs)
        outs = ", ".join(show_shape(t.shape) for t in self.outputs)
        return f"<Model '{self.name}': {ins} -> {outs}, {self.count_params()} params>"
