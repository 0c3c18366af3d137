"""Text classification with attention: Embedding -> LSTM -> attention -> Dense (seed articles 001, 003).

Article 003 trains ``Embedding -> LSTM(100, return_sequences=True) ->
Attention -> Dense(1, sigmoid)`` on IMDb reviews. No review data set can be
downloaded here, so by default the demo makes a seeded synthetic corpus
(``minattn.datasets.text.synthetic_reviews``): neutral words with a few sentiment words
planted among them, some negated ("not good"), the label the sign of their
sum. The words that decide each review are known, so we can measure how much
attention lands on them. ``--imdb PATH`` runs the same models on the real
reviews (the ``aclImdb`` folder of Maas et al. 2011).

Four heads over the same Embedding + LSTM, each trained from scratch, and a
Transformer beside them on the same data:

* ``last``    -- no attention: the LSTM's last hidden state (the baseline);
* ``pooling`` -- article 003's attention pooling: ``a = softmax_t(h_t W)``;
* ``context`` -- HAN attention with a context vector (Yang et al. 2016, article 001):
                 ``a = softmax_t(tanh(h_t W + b) . u_w)``;
* ``self``    -- structured self-attention (Lin et al. 2017): ``r`` hops
                 ``A = softmax_t(W_s2 tanh(W_s1 H^T))``, flattened, with the
                 penalty ``||A A^T - I||_F^2`` (``--penalty``) added by ``model.add_loss``.
* ``transformer`` -- no recurrence: Keras's text-classification-with-Transformer
                 layout, TokenAndPositionEmbedding -> TransformerEncoder -> mean
                 pooling -> Dense (``minattn.transformers.build_classifier``); its
                 "attention over words" is what each word receives, averaged
                 over heads and real query words.
* ``transformer_attn`` -- the same encoder, pre-norm, pooled by ``AttentionPooling``
                 (the ``pooling`` head's layer) instead of the mean, trained with a
                 warmup + cosine-decay schedule (not in the default set:
                 ``--variants transformer transformer_attn``).

On the synthetic corpus the script also prints the best accuracy a model
blind to word order can reach on the held-out reviews (``order_blind_accuracy``):
the label needs to know which word a negator stands before.

    python demos/text_attention.py                      # all four, a few minutes on 2 cores
    python demos/text_attention.py --quick
    python demos/text_attention.py --imdb ~/data/aclImdb --samples 5000 --epochs 3
    python demos/text_attention.py --variants last pooling --bidirectional
"""
import os
import time

import numpy as np

import minattn
from minattn import Input, Model, plotting
from minattn.datasets import text
from minattn.experiments.cli import experiment_parser, parse_experiment_args
from minattn.layers import (LSTM, AttentionPooling, AttentionWithContext, Bidirectional, Dense, Embedding,
                            Flatten, Lambda, StructuredSelfAttention, attention_penalty)
from minattn.optimizers import Adam
from minattn.experiments.results import report_outputs, write_results
from minattn.optimizers.schedules import CosineDecay
from minattn.transformers import WordAttention, build_classifier, pooling_attention

SAMPLES = 4000               # training reviews (10 % of them for validation)
EPOCHS = 5
SEED = 3
BATCH_SIZE = 32
LEARNING_RATE = 0.01         # Adam; Keras's default 0.001 needs many more epochs here
VALIDATION_SPLIT = 0.1
TEST_SAMPLES = 2000          # held-out reviews, a corpus of their own (seed + 1)
MIN_LEN, MAX_LEN = 8, 60     # synthetic review lengths in words (MAX_LEN = maxlen)
EMBED_DIM = 32
LSTM_UNITS = 32              # article 003: 100
SELF_HOPS, SELF_UNITS = 4, 16   # structured self-attention's r and d_a
PENALTY = 0.01               # on ||A A^T - I||_F^2; at --quick size 0.1 slowed learning, 1.0 stopped it
IMDB_MAXLEN, IMDB_MAX_WORDS = 200, 10_000
TRANSFORMER_HEADS, TRANSFORMER_FF = 2, 32    # Keras's example: 2 heads, feed-forward 32
TRANSFORMER_PEAK_RATE = 0.003   # transformer_attn: warmup over the first 10 % of the steps, then cosine to 0
ORDER_BLIND_REVIEWS = 100_000    # reviews drawn to estimate the order-blind rule
VARIANTS = ("last", "pooling", "context", "self", "transformer", "transformer_attn")
DEFAULT_VARIANTS = VARIANTS[:5]
LABELS = {"last": "last state (no attention)", "pooling": "pooling (article 003)",
          "context": "HAN with context (u_w)", "self": "structured self-attention",
          "transformer": "Transformer encoder (no LSTM)",
          "transformer_attn": "Transformer + attention pool"}
SHOWN_REVIEWS, SHOWN_MAX_WORDS = 3, 24
QUICK = {"samples": 3000, "epochs": 4, "max_len": 30}


def recurrent(return_sequences, bidirectional):
    """LSTM(LSTM_UNITS), or Bidirectional(LSTM) with both directions concatenated."""
    lstm = LSTM(LSTM_UNITS, return_sequences=return_sequences)
    return Bidirectional(lstm) if bidirectional else lstm


def build_model(variant, vocab_size, maxlen, bidirectional=False, penalty=PENALTY):
    """Embedding(mask_zero) -> (Bi)LSTM -> head -> Dense(1, sigmoid).

    Returns (model, attention_model): attention_model maps reviews to the
    weights over words, (batch, maxlen), or (batch, hops, maxlen) for "self";
    None for "last". For "self" the model gets ``penalty * ||A A^T - I||_F^2``
    (batch mean) through ``add_loss``, unless ``penalty`` is 0.
    """
    if variant == "transformer":
        model, block = build_classifier(vocab_size, maxlen, EMBED_DIM, TRANSFORMER_HEADS, TRANSFORMER_FF)
        return model, WordAttention(model, block)
    if variant == "transformer_attn":
        model, _ = build_classifier(vocab_size, maxlen, EMBED_DIM, TRANSFORMER_HEADS, TRANSFORMER_FF,
                                    pooling="attention", normalize_first=True)
        return model, pooling_attention(model)
    inputs = Input((maxlen,))
    embedded = Embedding(vocab_size, EMBED_DIM, mask_zero=True)(inputs)     # (time, embed)
    if variant == "last":
        summary = recurrent(False, bidirectional)(embedded)                 # (units,)
        return Model(inputs, Dense(1, activation="sigmoid")(summary)), None
    states = recurrent(True, bidirectional)(embedded)                        # (time, units)
    if variant == "pooling":
        summary, weights = AttentionPooling(return_attention=True, name="attention")(states)
    elif variant == "context":
        summary, weights = AttentionWithContext(return_attention=True, name="attention")(states)
    elif variant == "self":
        hops, weights = StructuredSelfAttention(SELF_UNITS, SELF_HOPS, return_attention=True,
                                                name="attention")(states)  # (r, units), (r, time)
        summary = Flatten()(hops)                                           # (r * units,)
    else:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    model = Model(inputs, Dense(1, activation="sigmoid")(summary))
    if variant == "self" and penalty:
        model.add_loss(Lambda(attention_penalty, name="penalty")(weights), weight=penalty)
    return model, Model(inputs, weights)


def load_data(args):
    """(train_texts, train_labels, test_texts, test_labels, maxlen, max_words) for the chosen corpus."""
    if args.imdb:
        train = text.load_aclimdb(args.imdb, "train", max_reviews=args.samples, seed=args.seed)
        test = text.load_aclimdb(args.imdb, "test", max_reviews=TEST_SAMPLES, seed=args.seed + 1)
        return (*train, *test, IMDB_MAXLEN, IMDB_MAX_WORDS)
    train = text.synthetic_reviews(args.samples, args.seed, MIN_LEN, args.max_len)
    test = text.synthetic_reviews(TEST_SAMPLES, args.seed + 1, MIN_LEN, args.max_len)   # held out
    return (*train, *test, args.max_len, None)


def decisive_mask(vocab, x):
    """(n, maxlen) bool: the sentiment words and the negators right before them."""
    out = np.zeros(x.shape, dtype=bool)
    for row, words in zip(out, vocab.sequences_to_words(x)):
        row[text.decisive_words(words)] = True
    return out


def learning_rate(variant, samples, epochs):
    """Adam's rate: LEARNING_RATE, or for transformer_attn a warmup + cosine-decay schedule."""
    if variant != "transformer_attn":
        return LEARNING_RATE
    steps = -(-int(samples * (1 - VALIDATION_SPLIT)) // BATCH_SIZE) * epochs
    warmup = steps // 10
    return CosineDecay(0.0, steps - warmup, warmup_target=TRANSFORMER_PEAK_RATE, warmup_steps=warmup)


def order_blind_accuracy(test_texts, test_y, max_len, seed):
    """The held-out accuracy of the best rule (estimated) that sees which words a review has, not their order.

    Without order, all a review offers is its counts of positive words,
    negative words and negators (which neutral or sentiment word it is
    does not change the label). The rule: the majority label of each
    (positive, negative, negator) count in ``ORDER_BLIND_REVIEWS`` fresh
    reviews from the generator; a review whose counts never came up gets 1.
    """
    group = {**dict.fromkeys(text.POSITIVE_WORDS, 0), **dict.fromkeys(text.NEGATIVE_WORDS, 1),
             **dict.fromkeys(text.NEGATORS, 2)}

    def counts(texts):
        keys = []
        for review in texts:
            count = [0, 0, 0, 0]                               # positive, negative, negators, other words
            for word in review.split():
                count[group.get(word, 3)] += 1
            keys.append(tuple(count[:3]))
        return keys
    texts, labels = text.synthetic_reviews(ORDER_BLIND_REVIEWS, seed, MIN_LEN, max_len)
    votes = {}
    for key, label in zip(counts(texts), labels):
        votes.setdefault(key, [0, 0])[label] += 1
    guess = [int(votes.get(key, [0, 1])[1] >= votes.get(key, [0, 1])[0]) for key in counts(test_texts)]
    return float(np.mean(np.array(guess) == test_y))


def train_variant(variant, args, data):
    """Train one head from a fresh seed; return its numbers and the attention model."""
    x, y, test_x, test_y, vocab_size, maxlen = data
    minattn.clear_session()
    minattn.set_random_seed(args.seed)
    model, attention_model = build_model(variant, vocab_size, maxlen, args.bidirectional, args.penalty)
    model.compile(optimizer=Adam(learning_rate(variant, len(x), args.epochs)), loss="binary_crossentropy",
                  metrics=["accuracy"])
    print(f"\n== {variant}: {LABELS[variant]} ({model.count_params()} weights)")
    start = time.perf_counter()
    history = model.fit(x, y[:, None], epochs=args.epochs, batch_size=BATCH_SIZE,
                        validation_split=VALIDATION_SPLIT, verbose=args.verbose)
    seconds = time.perf_counter() - start
    probability = model.predict(test_x, batch_size=256, verbose=0)[:, 0]
    accuracy = float(np.mean((probability > 0.5) == test_y))
    weights = None
    if attention_model is not None:
        weights = attention_model.predict(test_x, batch_size=256)
        weights = weights.mean(axis=1) if weights.ndim == 3 else weights     # hops -> one weight per word
    return {"history": history, "accuracy": accuracy, "seconds": seconds, "params": model.count_params(),
            "probability": probability, "weights": weights}


def shown_reviews(words, count):
    """Indices of short held-out reviews to draw, those with a negator first."""
    short = [i for i, w in enumerate(words) if len(w) <= SHOWN_MAX_WORDS]
    negated = [i for i in short if any(word in text.NEGATORS for word in words[i])]
    chosen = (negated + [i for i in short if i not in negated])[:count]
    if len(chosen) < count:                                   # e.g. IMDb: the shortest reviews
        chosen = list(np.argsort([len(w) for w in words])[:count])
    return chosen


def draw(path, runs, vocab, test_x, test_y, title, synthetic):
    """The figure: a few held-out reviews coloured by each head's attention, and the accuracies."""
    words = vocab.sequences_to_words(test_x)
    rows = []
    attentive = [v for v in runs if runs[v]["weights"] is not None]
    for i in shown_reviews(words, SHOWN_REVIEWS):
        truth = "positive" if test_y[i] else "negative"
        predictions = ", ".join(f"{v} {runs[v]['probability'][i]:.2f}" for v in runs)
        rows.append({"caption": f"held-out review {i}: {truth}  --  P(positive): {predictions}"})
        bold = text.decisive_words(words[i]) if synthetic else ()
        for v in attentive:
            rows.append({"caption": v, "words": words[i], "weights": runs[v]["weights"][i][:len(words[i])],
                         "bold": bold})
    bars = {v: runs[v]["accuracy"] for v in runs}
    return plotting.attention_words(rows, path, title, bars=bars, chance=0.5, baseline="last",
                                    bar_title=f"accuracy on {len(test_y)} held-out reviews")


def report(runs, decisive, test_x):
    """Print the table; store each head's attention on the decisive words (synthetic corpus only).

    Returns the share of the words that are decisive: what uniform attention would put on them.
    """
    print(f"\n{'variant':<10} {'head':<28} {'weights':>8} {'held-out acc':>13} "
          f"{'attn on decisive words':>23} {'seconds':>8}")
    for variant, run in runs.items():
        mass = None
        if run["weights"] is not None and decisive is not None:
            mass = float(np.mean(np.sum(run["weights"] * decisive, axis=1)))    # mean over reviews
        run["decisive_mass"] = mass
        shown = "-" if mass is None else f"{mass:.3f}"
        print(f"{variant:<10} {LABELS[variant]:<28} {run['params']:>8} {run['accuracy']:>13.4f} "
              f"{shown:>23} {run['seconds']:>8.1f}")
    print("(weights: trainable numbers; held-out acc: share of the held-out reviews classified right; "
          "attn on decisive words: mean attention on the sentiment words and their negators; "
          "seconds: training time)")
    if decisive is None:
        return None
    uniform = float(np.mean(decisive.sum(axis=1) / (test_x != text.PAD).sum(axis=1)))
    print(f"(uniform attention would put {uniform:.3f} on the decisive words; chance accuracy 0.5)")
    return uniform


def parse_args(argv):
    parser = experiment_parser(__doc__, SAMPLES, EPOCHS, SEED, os.path.join("runs", "text"), QUICK)
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(DEFAULT_VARIANTS),
                        help="which heads to train (default: the first five)")
    parser.add_argument("--max-len", type=int, default=MAX_LEN,
                        help=f"longest synthetic review, in words (default {MAX_LEN}; shortest {MIN_LEN}): "
                             "the longer, the harder for the last hidden state")
    parser.add_argument("--bidirectional", action="store_true", help="Bidirectional(LSTM) instead of LSTM")
    parser.add_argument("--penalty", type=float, default=PENALTY,
                        help=f"coefficient of the self-attention penalty (default {PENALTY}; 0 = none)")
    parser.add_argument("--imdb", metavar="PATH",
                        help="the aclImdb folder: train on --samples of its train reviews, "
                             f"test on {TEST_SAMPLES} of its test reviews")
    args = parse_experiment_args(parser, argv, variant=lambda a: (["imdb"] if a.imdb else [])
                                 + (["bidirectional"] if a.bidirectional else []))
    if args.max_len < MIN_LEN:
        parser.error(f"--max-len: expected an integer >= {MIN_LEN}, got {args.max_len}")
    return args


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    try:
        texts, y, test_texts, test_y, maxlen, max_words = load_data(args)
    except FileNotFoundError as err:                      # --imdb PATH without the aclImdb layout
        raise SystemExit(str(err)) from None
    vocab = text.Vocabulary.fit(texts, max_words)
    x = text.pad_sequences(vocab.texts_to_sequences(texts), maxlen)
    test_x = text.pad_sequences(vocab.texts_to_sequences(test_texts), maxlen)
    corpus = f"aclImdb at {args.imdb}" if args.imdb else "synthetic reviews"
    print(f"{corpus}: {len(x)} training reviews ({VALIDATION_SPLIT:.0%} for validation), {len(test_x)} "
          f"held-out; vocabulary {len(vocab)} ids, maxlen {maxlen}; {np.mean(y):.1%} positive")
    data = (x, y, test_x, test_y, len(vocab), maxlen)
    runs = {variant: train_variant(variant, args, data) for variant in dict.fromkeys(args.variants)}
    uniform = report(runs, None if args.imdb else decisive_mask(vocab, test_x), test_x)
    order_blind = None if args.imdb else order_blind_accuracy(test_texts, test_y, args.max_len, args.seed + 2)
    if order_blind is not None:
        print(f"(the best rule blind to word order gets {order_blind:.4f} of the held-out reviews right)")

    figure = os.path.join(args.out, "attention_words.png")
    encoders = ([("BiLSTM" if args.bidirectional else "LSTM")] if set(runs) - {"transformer"} else []) + (
        ["Transformer"] if "transformer" in runs else [])
    title = f"Text: attention over held-out {corpus} ({', '.join(encoders)})"
    draw(figure, runs, vocab, test_x, test_y, title + ("" if args.imdb else "; bold: decisive words"),
         synthetic=not args.imdb)
    main_variant = "pooling" if "pooling" in runs else next(iter(runs))
    settings = {"experiment": "text", "corpus": "imdb" if args.imdb else "synthetic",
                "samples": len(x), "train_samples": int(len(x) * (1 - VALIDATION_SPLIT)),
                "test_samples": len(test_x), "epochs": args.epochs, "batch_size": BATCH_SIZE,
                "learning_rate": LEARNING_RATE,
                "transformer_peak_rate": TRANSFORMER_PEAK_RATE, "validation_split": VALIDATION_SPLIT, "seed": args.seed,
                "maxlen": maxlen, "min_len": None if args.imdb else MIN_LEN, "vocabulary": len(vocab),
                "embed_dim": EMBED_DIM, "lstm_units": LSTM_UNITS, "bidirectional": args.bidirectional,
                "self_hops": SELF_HOPS, "self_units": SELF_UNITS, "penalty": args.penalty,
                "transformer_heads": TRANSFORMER_HEADS, "transformer_ff": TRANSFORMER_FF,
                "variants": list(runs), "history_of": main_variant}
    variants = {v: {"label": LABELS[v], "test_accuracy": r["accuracy"], "test_samples": len(test_x),
                    "decisive_attention": r["decisive_mass"], "params": r["params"],
                    "seconds": r["seconds"], "history": r["history"].history}
                for v, r in runs.items()}
    write_results(os.path.join(args.out, "results.json"), settings, runs[main_variant]["history"],
                  variants=variants, uniform_decisive_attention=uniform, order_blind_accuracy=order_blind,
                  figure=figure)
    report_outputs(args.out, {"attention_words.png": "held-out reviews with each word shaded by each head's "
                                                     "attention, and every head's held-out accuracy"})
    return runs


if __name__ == "__main__":
    main()
