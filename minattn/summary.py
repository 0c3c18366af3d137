"""The Keras-2 ``model.summary()`` table, as printed in the articles."""
from .layers.vocabulary import show_shape

LINE_LENGTH = 98
COLUMN_ENDS = [int(LINE_LENGTH * p) for p in (0.33, 0.55, 0.67, 1.0)]     # 32, 53, 65, 98


def _row(fields):
    line = ""
    for field, end in zip(fields, COLUMN_ENDS):
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


def format_summary(model):
    """The summary as one string (``Model.summary`` prints it)."""
    lines = ["_" * LINE_LENGTH,
             _row(["Layer (type)", "Output Shape", "Param #", "Connected to"]),
             "=" * LINE_LENGTH]
    for i, layer in enumerate(model.layers):
        links = _connections(model, layer) or [""]
        lines.append(_row([f"{layer.name} ({type(layer).__name__})", _output_shape(layer),
                           layer.count_params(), links[0]]))
        lines.extend(_row(["", "", "", link]) for link in links[1:])
        lines.append("=" * LINE_LENGTH if i == len(model.layers) - 1 else "_" * LINE_LENGTH)
    total = model.count_params()
    lines += [f"Total params: {total:,}", f"Trainable params: {total:,}",
              "Non-trainable params: 0", "_" * LINE_LENGTH]
    return "\n".join(lines)
