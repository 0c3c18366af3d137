"""CPU seconds of one training epoch of the date translator, per attention variant.

Builds the model of ``demos/translate_dates.py`` for a variant, trains one
epoch on a seeded set of dates, three times, and prints the smallest CPU
time (``time.process_time``, so a busy machine matters less than for wall
time) and the epoch's loss. Run it at two commits to compare them; it runs
whatever path is in force (the fast one unless ``--traced``).

    OPENBLAS_NUM_THREADS=1 python benchmarks/time_dates.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/time_dates.py --variants global_additive --samples 6000
"""
import argparse
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # before NumPy loads, as the demo does

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demos"))
import translate_dates as demo  # noqa: E402

import minattn  # noqa: E402
from minattn import seq2seq  # noqa: E402
try:
    from minattn.datasets import dates  # noqa: E402
except ImportError:                       # an older commit (before the datasets package), to compare with
    from minattn import seq2seq_data as dates  # noqa: E402
from minattn.optimizers import Adam  # noqa: E402

VARIANTS = ["global_additive", "local_p_additive", "global_dot"]
SAMPLES = 3000          # dates made; 80% train: 2 400
REPEATS = 3


def epoch_cpu_seconds(variant, x, decoder_in, y, repeats):
    """(smallest CPU seconds of one epoch over ``repeats`` fresh models, that epoch's loss)."""
    score, attention = demo.VARIANTS[variant]
    times, loss = [], None
    for _ in range(repeats):
        minattn.clear_session()
        minattn.set_random_seed(0)
        model, _, _ = demo.build_model(score, attention, decoder_in.shape[1])
        model.compile(Adam(demo.LEARNING_RATE), loss=seq2seq.masked_sparse_categorical_crossentropy)
        start = time.process_time()
        history = model.fit([x, decoder_in], y, epochs=1, batch_size=demo.BATCH_SIZE, verbose=0)
        times.append(time.process_time() - start)
        loss = history.history["loss"][0]
    return min(times), loss


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", choices=sorted(demo.VARIANTS), default=VARIANTS)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--traced", action="store_true", help="time the readable path")
    args = parser.parse_args(argv)
    minattn.set_fast(not args.traced)
    data = dates.make_date_dataset(args.samples, seed=0)
    x, decoder_in, y = dates.encode_pairs(*data["train"], dates.source_vocab(), dates.target_vocab(),
                                          demo.SOURCE_LENGTH)
    print(f"one epoch of {len(x)} dates, batch {demo.BATCH_SIZE}, {'readable' if args.traced else 'fast'} path; "
          f"min CPU seconds of {args.repeats}")
    for variant in args.variants:
        seconds, loss = epoch_cpu_seconds(variant, x, decoder_in, y, args.repeats)
        print(f"    {variant:18s} {seconds:7.2f} s   loss {loss:.4f}")


if __name__ == "__main__":
    main()
