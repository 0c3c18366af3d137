"""The Keras-2 ``model.summary()`` table, as printed in the articles."""
from .arguments import check_positive_int
from .layers.vocabulary import show_shape

LINE_LENGTH = 98
POSITIONS = (0.33, 0.55, 0.67, 1.0)          # Keras 2's: the columns end at 32, 53, 65, 98


def column_ends(line_length, positions):
    """Where each of the 4 columns ends, in characters (``positions`` <= 1 are fractions, as in Keras)."""
    positions = list(positions)
    if len(positions) != 4 or not all(isinstance(p, (int, float)) and p > 0 for p in positions):
        raise ValueError(f"summary: positions must be 4 increasing positive numbers, got {positions!r}")
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    if positions != sorted(positions):
        raise ValueError(f"summary: positions must increase, got {positions!r}")
    return positions


def _row(fields, ends):
    line = ""
    for field, end in zip(fields, ends):
        if line:
            line = line[:-1] + " "
        line = (line + str(field))[:end]
        line += " " * (end - len(line))
    return line.rstrip()


def _output_shape(layer):
    shape = layer.output_shape
    return show_shape(shape)


def _connections(model, layer):
    """'dense_1[0][0]' for each tensor feeding this layer's nodes inside the model."""
    links = []
    for node in model.nodes:
        if node.layer is layer:
            for t in node.inputs:
                links.append(f"{t.layer.name}[{t.node.index_in_layer}][{t.index}]")
    return links


def format_summary(model, line_length=None, positions=None):
    """The summary as one string (``Model.summary`` prints it); Keras's ``line_length`` and ``positions``."""
    width = LINE_LENGTH if line_length is None else check_positive_int(line_length, "summary: line_length")
    ends = column_ends(width, POSITIONS if positions is None else positions)
    lines = ["_" * width, _row(["Layer (type)", "Output Shape", "Param #", "Connected to"], ends), "=" * width]
    for i, layer in enumerate(model.layers):
        links = _connections(model, layer) or [""]
        lines.append(_row([f"{layer.name} ({type(layer).__name__})", _output_shape(layer),
                           layer.count_params(), links[0]], ends))
        lines.extend(_row(["", "", "", link], ends) for link in links[1:])
        lines.append("=" * width if i == len(model.layers) - 1 else "_" * width)
    total = model.count_params()
    lines += [f"Total params: {total:,}", f"Trainable params: {total:,}",
              "Non-trainable params: 0", "_" * width]
    return "\n".join(lines)
