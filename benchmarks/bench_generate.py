"""Generation from the char GPT: with the key/value cache against rerunning the whole context.

Builds ``demos/char_gpt.py``'s GPT (its sizes and vocabulary, read by
benchmarks/char_gpt_sizes.py from the demo) with seeded weights, then samples
``--tokens`` ids from the same prompt with ``sample_text(cache=True)`` and
``sample_text(cache=False)``, alternating the two ``--repeats`` times in one
process (the machine's load falls on both alike), with one BLAS thread as
the demo runs. Prints each run's ids per
second, the medians and their ratio, and checks both gave the same ids.

    python benchmarks/bench_generate.py
    python benchmarks/bench_generate.py --tokens 100 --repeats 1
"""
import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")     # as demos/char_gpt.py: small matmuls, one BLAS thread
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import minattn  # noqa: E402
from minattn.transformers import build_gpt, sample_text  # noqa: E402
from char_gpt_sizes import char_gpt_sizes, char_gpt_vocabulary  # noqa: E402  (a sibling: benchmarks/)

GPT = char_gpt_sizes()
WINDOW = GPT["length"]
PROMPT = [5, 9, 9, 9, 9, 70, 71, 72]
TOKENS, REPEATS = 300, 3


def timed_sample(model, tokens, cache):
    """(ids per second, the ids) of one ``sample_text`` run."""
    start = time.perf_counter()
    ids = sample_text(model, PROMPT, tokens, temperature=0.8, top_k=10, seed=0, cache=cache)
    return tokens / (time.perf_counter() - start), ids


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=TOKENS, help=f"ids sampled per run (default {TOKENS})")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"runs of each (default {REPEATS})")
    args = parser.parse_args(argv)
    minattn.clear_session()
    minattn.set_random_seed(0)
    model, _ = build_gpt(char_gpt_vocabulary(), WINDOW, GPT["dim"], GPT["heads"], GPT["layers"],
                         activation=GPT["activation"])
    speeds = {"cached": [], "full recompute": []}
    same = True
    for repeat in range(args.repeats):
        cached, cached_ids = timed_sample(model, args.tokens, cache=True)
        full, full_ids = timed_sample(model, args.tokens, cache=False)
        same = same and np.array_equal(cached_ids, full_ids)
        speeds["cached"].append(cached)
        speeds["full recompute"].append(full)
        print(f"run {repeat + 1}: cached {cached:.0f} ids/s, full recompute {full:.0f} ids/s")
    medians = {name: float(np.median(values)) for name, values in speeds.items()}
    print(f"GPT {GPT['layers']}x{GPT['dim']}, {GPT['heads']} heads, window {WINDOW}, {args.tokens} ids per run, {args.repeats} runs each")
    print(f"median ids/s: cached {medians['cached']:.0f}, full recompute {medians['full recompute']:.0f}; "
          f"cached / full = {medians['cached'] / medians['full recompute']:.2f}")
    print("same ids both ways" if same else "THE IDS DIFFER")
    return medians, same


if __name__ == "__main__":
    main()
