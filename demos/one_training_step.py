"""One training step, slowly: the forward pass, autograd's gradient, the same gradient by hand, one Adam step.

A tiny model in the style of E1 (seed article 000): four inputs, a Dense
softmax layer whose output ``p`` weights the inputs (``x * p``), and one
sigmoid unit, trained with the mean squared error. Three samples, float64,
the traced layers. The script prints every number of one training step and
checks them against each other: the gradient worked out by hand must equal
autograd's, autograd's must pass the finite-difference check, and the Adam
update written out by hand must equal ``minattn.optimizers.Adam``'s. Any
disagreement raises. docs/one-step.md walks through the printout.

    python demos/one_training_step.py              # seed 0, as in docs/one-step.md
    python demos/one_training_step.py --seed 3     # other data and weights
"""
import argparse
import os

import autograd.numpy as anp
import numpy as np
from autograd import grad

import minattn
from minattn import Input, Model, activations, gradcheck, losses
from minattn.layers import Dense, Multiply
from minattn.optimizers import Adam
from minattn.experiments.profiling import recorded_primitives
from minattn.pytree import named_leaves, tree_map, unflatten
from minattn.experiments.results import write_results

SAMPLES = 3
FEATURES = 4                 # positions 0 and 2 decide the target, 1 and 3 are noise
SEED = 0
OUT = os.path.join("runs", "one_step")
TOLERANCE = 1e-10            # largest |difference| allowed between two ways of computing a number
GRADCHECK_EPS = 1e-6         # finite-difference step of gradcheck.check_grads
GRADCHECK_TOLERANCE = 1e-5   # largest relative error it accepts
PRECISION = 4                # decimals shown for values
GRADIENT_PRECISION = 6       # and for gradients, which are small here
SHOWN_WEIGHT = ("output", "kernel")     # the weight whose Adam update is printed in full


def build_model():
    """E1's attention block on four inputs, then one sigmoid unit: x -> x * softmax(x W1 + b1) -> y."""
    inputs = Input((FEATURES,))
    attention_probs = Dense(FEATURES, activation="softmax", name="attention_vec")(inputs)
    attention_mul = Multiply(name="attention_mul")([inputs, attention_probs])
    output = Dense(1, activation="sigmoid", name="output")(attention_mul)
    return Model(inputs, output, name="one_step")


def make_data(seed):
    """E1-style samples: digits / 10, target ``|x_0 - x_2|``; x (SAMPLES, 4), t (SAMPLES, 1)."""
    digits = np.random.default_rng(seed).integers(0, 10, size=(SAMPLES, FEATURES))
    x = digits / 10.0
    return x, np.abs(x[:, [0]] - x[:, [2]])


def mean_loss(model, x, t):
    """The function autograd differentiates: ``L(params) = mean over samples of (y - t)^2``."""
    def loss(params):
        return anp.mean(losses.mean_squared_error(t, model.apply(params, x)))
    return loss


# -- printing -------------------------------------------------------------------------
def heading(text):
    print(f"\n== {text}")


def show(label, value, precision=PRECISION):
    """``label`` and then the array on the following lines, indented."""
    value = np.asarray(value) + 0.0                      # + 0.0 turns -0.0 into 0.0 for display
    text = np.array2string(value, precision=precision, suppress_small=False)
    print(f"{label}\n    " + text.replace("\n", "\n    "))


def leaves(tree):
    return [leaf for _, leaf in named_leaves(tree)]


def count_weights(tree):
    return sum(np.size(leaf) for leaf in leaves(tree))


def largest_difference(tree_a, tree_b):
    """max |a - b| over every array of two pytrees of the same structure."""
    return max(float(np.max(np.abs(a - b))) for a, b in zip(leaves(tree_a), leaves(tree_b)))


def require_close(difference, what):
    if not difference <= TOLERANCE:
        raise AssertionError(f"{what} differ by {difference:.3g} > {TOLERANCE:g}")


# -- the six steps ---------------------------------------------------------------------
def show_data_and_weights(x, t, params):
    heading("1. The data and the weights")
    show(f"x: digits / 10, one sample per row (N={SAMPLES}, {FEATURES} features)", x)
    show("t = |x_0 - x_2|: the target", t)
    for symbol, (name, value), initializer in zip(("W1", "b1", "W2", "b2"), named_leaves(params),
                                                  ("glorot_uniform", "zeros") * 2):
        show(f"{symbol} = {name} {value.shape}, {initializer}", value)


def forward_pass(model, params, x, t):
    """Each value from the library's own layers, beside the formula it should equal."""
    kernel1, bias1 = params["attention_vec"]["kernel"], params["attention_vec"]["bias"]
    kernel2, bias2 = params["output"]["kernel"], params["output"]["bias"]
    logits = x @ kernel1 + bias1                                           # z = x W1 + b1   (N, 4)
    probs = model.get_layer("attention_vec").apply(params["attention_vec"], x)      # softmax(z)
    gated = model.get_layer("attention_mul").apply({}, [x, probs])                  # x * p
    pre_activation = gated @ kernel2 + bias2                               # a = g W2 + b2   (N, 1)
    y = model.get_layer("output").apply(params["output"], gated)                   # sigmoid(a)
    loss = float(np.mean(losses.mean_squared_error(t, y)))
    require_close(np.max(np.abs(probs - activations.softmax(logits))), "attention_vec and softmax(z)")
    require_close(np.max(np.abs(y - activations.sigmoid(pre_activation))), "output and sigmoid(a)")
    require_close(np.max(np.abs(y - model.apply(params, x))), "the layers one by one and model.apply")
    heading("2. The forward pass")
    show("z = x W1 + b1: attention logits", logits)
    show("p = softmax(z): attention_vec's output, each row sums to 1", probs)
    show("g = x * p: attention_mul's output", gated)
    show("a = g W2 + b2: the output unit before its activation", pre_activation)
    show("y = sigmoid(a): output's output, the same as model.apply(params, x)", y)
    print(f"L = mean((y - t)^2) = {loss:.6f}")
    return {"logits": logits, "probs": probs, "gated": gated, "pre_activation": pre_activation,
            "y": y, "loss": loss}


def autograd_gradient(loss, params):
    """``grad(L)(params)``, and the primitives autograd records on the way."""
    names = recorded_primitives(loss, params)
    grads = grad(loss)(params)
    heading("3. The gradient autograd computes: grad(L)(params)")
    print(f"autograd recorded {len(names)} primitive calls while computing L:")
    for start in range(0, len(names), 6):
        print(f"    {start + 1:>2}-{min(start + 6, len(names)):<2} " + " ".join(names[start:start + 6]))
    for name, value in named_leaves(grads):
        show(f"dL/d {name}", value, GRADIENT_PRECISION)
    return grads, names


def gradient_by_hand(params, x, t, forward):
    """The chain rule backwards from L, one line per step; returns (gradient pytree, intermediates)."""
    kernel2 = params["output"]["kernel"]
    probs, gated, y = forward["probs"], forward["gated"], forward["y"]
    dL_dy = 2.0 * (y - t) / len(x)                       # L = (1/N) sum_n (y_n - t_n)^2        (N, 1)
    dL_da = dL_dy * y * (1.0 - y)                        # y = sigmoid(a): dy/da = y (1 - y)      (N, 1)
    dL_dkernel2 = gated.T @ dL_da                        # a = g W2 + b2: dL/dW2 = g^T dL/da      (4, 1)
    dL_dbias2 = dL_da.sum(axis=0)                        # b2 is added to every sample            (1,)
    dL_dg = dL_da @ kernel2.T                            # dL/dg = dL/da W2^T                      (N, 4)
    dL_dp = dL_dg * x                                    # g = x * p: dL/dp = dL/dg * x            (N, 4)
    dL_dz = probs * (dL_dp - np.sum(dL_dp * probs, axis=1, keepdims=True))  # softmax: p * (dp - <dp, p>)
    dL_dkernel1 = x.T @ dL_dz                            # z = x W1 + b1: dL/dW1 = x^T dL/dz      (4, 4)
    dL_dbias1 = dL_dz.sum(axis=0)                        #                                         (4,)
    grads = {"attention_vec": {"kernel": dL_dkernel1, "bias": dL_dbias1},
             "output": {"kernel": dL_dkernel2, "bias": dL_dbias2}}
    steps = {"dL/dy": dL_dy, "dL/da": dL_da, "dL/dg": dL_dg, "dL/dp": dL_dp, "dL/dz": dL_dz}
    return grads, steps


def show_gradient_by_hand(params, x, t, forward, autograd_grads):
    """Print the chain rule's steps and weights beside autograd's; raises if they differ."""
    grads, steps = gradient_by_hand(params, x, t, forward)
    heading("4. The same gradient by hand (chain rule, backwards)")
    formulas = {"dL/dy": "2 (y - t) / N", "dL/da": "dL/dy * y (1 - y)", "dL/dg": "dL/da W2^T",
                "dL/dp": "dL/dg * x", "dL/dz": "p * (dL/dp - sum_j dL/dp_j p_j)"}
    for name, value in steps.items():
        show(f"{name} = {formulas[name]}", value, GRADIENT_PRECISION)
    formulas = {"attention_vec/kernel": "x^T dL/dz", "attention_vec/bias": "sum over samples of dL/dz",
                "output/kernel": "g^T dL/da", "output/bias": "sum over samples of dL/da"}
    for (name, hand), (_, auto) in zip(named_leaves(grads), named_leaves(autograd_grads)):
        difference = float(np.max(np.abs(hand - auto)))
        show(f"dL/d {name} = {formulas[name]}   (max |hand - autograd| = {difference:.1e})", hand,
             GRADIENT_PRECISION)
    difference = largest_difference(grads, autograd_grads)
    require_close(difference, "the gradient by hand and autograd's")
    print(f"by hand and autograd agree: max |difference| over all {count_weights(grads)} weights "
          f"= {difference:.1e}")
    return grads, difference


def show_gradcheck(loss, params):
    """minattn's finite-difference check of autograd's gradient, worst error per weight array."""
    # Raises GradientCheckError, naming the weight, if any element is off by more than the tolerance.
    report = gradcheck.check_grads(loss, params, eps=GRADCHECK_EPS, tol=GRADCHECK_TOLERANCE)
    heading("5. Central differences: minattn.gradcheck.check_grads(L, params)")
    print(f"(L(w + eps) - L(w - eps)) / (2 eps) with eps = {GRADCHECK_EPS:g} for each of the "
          f"{count_weights(params)} weights;\nworst relative error to autograd's gradient, per array:")
    for name, error in report.items():
        print(f"    {name:<22}{error:.1e}")
    print(f"passed: every error is below the tolerance {GRADCHECK_TOLERANCE:g}")
    return report


def adam_by_hand(optimizer, params, grads, step=1):
    """Keras's Adam at step ``step`` from zero moments, written out for every weight."""
    b1, b2, eps = optimizer.beta_1, optimizer.beta_2, optimizer.epsilon
    m = tree_map(lambda g: (1.0 - b1) * g, grads)                         # m = b1 * 0 + (1 - b1) g
    v = tree_map(lambda g: (1.0 - b2) * g ** 2, grads)                    # v = b2 * 0 + (1 - b2) g^2
    alpha = optimizer.learning_rate * np.sqrt(1.0 - b2 ** step) / (1.0 - b1 ** step)
    new_params = tree_map(lambda p, m_, v_: p - alpha * m_ / (np.sqrt(v_) + eps), params, m, v)
    return new_params, m, v, alpha


def show_adam_step(loss, params, grads):
    """The library's pure Adam step beside the formula by hand; raises if they differ."""
    optimizer = Adam()
    library_params, state = optimizer.step(params, grads, optimizer.init(params))
    library_m, library_v = unflatten(state["m"], params), unflatten(state["v"], params)
    hand_params, m, v, alpha = adam_by_hand(optimizer, params, grads, step=state["t"])
    difference = max(largest_difference(hand_params, library_params),
                     largest_difference(m, library_m), largest_difference(v, library_v))
    require_close(difference, "Adam by hand and minattn.optimizers.Adam")
    layer, weight = SHOWN_WEIGHT
    heading(f"6. One Adam step (Keras's defaults: learning rate {optimizer.learning_rate:g}, "
            f"beta_1 {optimizer.beta_1:g}, beta_2 {optimizer.beta_2:g}, epsilon {optimizer.epsilon:g})")
    print(f"step t = {state['t']}; shown for {layer}/{weight}, the formula computed by hand:")
    show_adam_formula(optimizer, grads[layer][weight], m[layer][weight], v[layer][weight], alpha,
                      hand_params[layer][weight])
    print(f"minattn.optimizers.Adam().step gives the same m, v and new weights for all "
          f"{count_weights(params)}: max |difference| = {difference:.1e}")
    loss_change = show_loss_change(loss, params, library_params, grads)
    return {"alpha": alpha, "max_difference": difference, "params_after": library_params,
            "m": library_m, "v": library_v, **loss_change}


def show_adam_formula(optimizer, g, m, v, alpha, new_weight):
    """Adam's first step for one weight array, term by term."""
    show("g = dL/dW2, from step 3", g, GRADIENT_PRECISION)
    show("m = beta_1 * 0 + (1 - beta_1) g", m)
    show("v = beta_2 * 0 + (1 - beta_2) g^2", v)
    print(f"alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t) = {alpha:.6g}")
    subtracted = alpha * m / (np.sqrt(v) + optimizer.epsilon)
    show("alpha m / (sqrt(v) + epsilon): the amount subtracted, just under lr on a first step",
         subtracted, precision=7)
    show("new W2 = W2 - alpha m / (sqrt(v) + epsilon)", new_weight)


def show_loss_change(loss, params, new_params, grads):
    """L before and after the step, and the first-order prediction sum_w dL/dw * (change of w)."""
    loss_before, loss_after = float(loss(params)), float(loss(new_params))
    predicted = sum(float(np.sum(g * (new - old)))
                    for g, new, old in zip(leaves(grads), leaves(new_params), leaves(params)))
    print(f"L before the step {loss_before:.8f}\nL after the step  {loss_after:.8f}\n"
          f"change {loss_after - loss_before:+.4e}; to first order, sum of g * change = {predicted:+.4e}")
    return {"loss_before": loss_before, "loss_after": loss_after, "predicted_change": predicted}


# -- the script ------------------------------------------------------------------------
def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED,
                        help=f"seed of the data and the weights (default {SEED})")
    parser.add_argument("--out", default=OUT, help=f"folder for results.json (default {OUT})")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed: expected an integer >= 0, got {args.seed}")
    return args


def main(argv=None):
    """Print one training step; return every number (also written to ``<out>/results.json``)."""
    args = parse_args(argv)
    previous_floatx = minattn.floatx()
    minattn.set_floatx("float64")         # exact arithmetic, so hand and autograd can agree to 1e-10
    try:
        with minattn.traced():            # the readable path: every small op recorded by autograd
            results = one_step(args.seed)
            os.makedirs(args.out, exist_ok=True)
            settings = {"demo": "one_training_step", "samples": SAMPLES, "seed": args.seed, "floatx": "float64"}
            write_results(os.path.join(args.out, "results.json"), settings, minattn.History(), **results)
    finally:
        minattn.set_floatx(previous_floatx)
    print(f"\nresults.json written to {args.out}/")
    return results


def one_step(seed):
    """Build the model for ``seed``, print the six steps, return their numbers."""
    minattn.clear_session()
    minattn.set_random_seed(seed)
    model = build_model()
    x, t = make_data(seed)
    params = model.params
    loss = mean_loss(model, x, t)
    print(f"One training step, slowly: seed {seed}, {SAMPLES} samples, float64, traced layers, "
          f"{model.count_params()} weights")
    show_data_and_weights(x, t, params)
    forward = forward_pass(model, params, x, t)
    autograd_grads, primitives = autograd_gradient(loss, params)
    hand_grads, hand_difference = show_gradient_by_hand(params, x, t, forward, autograd_grads)
    report = show_gradcheck(loss, params)
    adam = show_adam_step(loss, params, autograd_grads)
    return {"x": x, "target": t, "params": params, "forward": forward, "primitives": primitives,
            "grads_autograd": autograd_grads, "grads_by_hand": hand_grads,
            "hand_vs_autograd": hand_difference, "gradcheck": report, "adam": adam}


if __name__ == "__main__":
    main()
