"""The dates model's training step with the AttentionDecoder's record and without it, alternating.

Builds ``demos/translate_dates.py``'s model for each variant, and times ``fit`` over
``--batches`` batches on the fast path, alternately with the decoder's record in the table
and with it taken out (then the decoder's ``apply`` runs, differentiated by autograd inside
the fast step), ``--repeats`` times each, in one process, so both see the same machine load.
Prints the median CPU seconds (``time.process_time``) of each and their ratio.

    OPENBLAS_NUM_THREADS=1 python benchmarks/time_decoder_record.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/time_decoder_record.py --variants global_additive --batches 10
"""
import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # before NumPy loads, as the demo does

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "demos"))
import translate_dates as demo  # noqa: E402

import minattn  # noqa: E402
from minattn import seq2seq  # noqa: E402
from minattn.datasets import dates  # noqa: E402
from minattn.fast import table  # noqa: E402
from minattn.layers import AttentionDecoder  # noqa: E402
from minattn.optimizers import Adam  # noqa: E402


def fit_seconds(variant, x, decoder_in, y):
    """CPU seconds of one ``fit`` epoch over (x, decoder_in, y) from a fresh seeded model, and its loss."""
    score, attention = demo.VARIANTS[variant]
    minattn.clear_session()
    minattn.set_random_seed(0)
    model, _, _ = demo.build_model(score, attention, decoder_in.shape[1])
    model.compile(Adam(demo.LEARNING_RATE), loss=seq2seq.masked_sparse_categorical_crossentropy)
    start = time.process_time()
    history = model.fit([x, decoder_in], y, epochs=1, batch_size=demo.BATCH_SIZE, verbose=0, shuffle=False)
    return time.process_time() - start, history.history["loss"][0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", nargs="+", choices=sorted(demo.VARIANTS), default=["global_additive"])
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    minattn.set_fast(True)
    data = dates.make_date_dataset(2 * args.batches * demo.BATCH_SIZE, seed=0)
    x, decoder_in, y = dates.encode_pairs(*data["train"], dates.source_vocab(), dates.target_vocab(),
                                          demo.SOURCE_LENGTH)
    n = args.batches * demo.BATCH_SIZE
    x, decoder_in, y = x[:n], decoder_in[:n], y[:n]
    record, results = table.RECORDS[AttentionDecoder], {}
    print(f"fit over {args.batches} batches of {demo.BATCH_SIZE}, fast path, median CPU seconds of "
          f"{args.repeats}, with and without the decoder's record, alternating")
    for variant in args.variants:
        seconds, losses = {"record": [], "autograd": []}, {}
        for _ in range(args.repeats):
            for route in ("record", "autograd"):
                if route == "autograd":
                    del table.RECORDS[AttentionDecoder]
                try:
                    spent, losses[route] = fit_seconds(variant, x, decoder_in, y)
                finally:
                    table.RECORDS[AttentionDecoder] = record
                seconds[route].append(spent)
        with_record, without = (statistics.median(seconds[k]) for k in ("record", "autograd"))
        results[variant] = {"seconds": seconds, "losses": losses}
        print(f"    {variant:18s} record {with_record:6.2f} s   autograd {without:6.2f} s   "
              f"autograd / record {without / with_record:5.2f}x   "
              f"(loss {losses['record']:.6f} / {losses['autograd']:.6f})")
    return results


if __name__ == "__main__":
    main()
