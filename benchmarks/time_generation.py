"""Tokens per second of sampling from the char GPT: a full pass per id (``sample_text``) against the
key/value cache (``minattn.generation.generate``).

The model is demos/char_gpt.py's layout (``build_gpt``: 64 ids, a 64-character
window, 64 wide, 4 heads, 2 pre-norm blocks), untrained (the cost of a step
does not depend on the weights). Both sample ``--length`` ids after a short
prompt; the runs alternate, sample_text then generate, ``--repeats`` times,
and the medians are reported with their ratio. While the text fits in the
window both draw the same ids (tests/test_generation.py); past it the cache
restarts from the last 32 ids.

    python benchmarks/time_generation.py
    python benchmarks/time_generation.py --length 300 --repeats 5
"""
import argparse
import time

import numpy as np

import minattn
from minattn.generation import generate
from minattn.transformers import build_gpt, sample_text

VOCAB, WINDOW, DIM, HEADS, LAYERS = 64, 64, 64, 4, 2
PROMPT = [5, 17, 33, 8]


def tokens_per_second(sample, model, length):
    start = time.perf_counter()
    ids = sample(model, PROMPT, length, 0.8, 10, seed=0)
    return len(ids) / (time.perf_counter() - start), ids


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--length", type=int, default=300, help="ids sampled per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (the median is reported)")
    args = parser.parse_args(argv)
    minattn.set_floatx("float32")
    minattn.set_random_seed(0)
    model, _ = build_gpt(VOCAB, WINDOW, DIM, HEADS, LAYERS)
    rates = {"sample_text": [], "generate": []}
    for _ in range(args.repeats):
        for name, sample in (("sample_text", sample_text), ("generate", generate)):
            rate, ids = tokens_per_second(sample, model, args.length)
            rates[name].append(rate)
    full, cached = (float(np.median(rates[name])) for name in ("sample_text", "generate"))
    print(f"char GPT ({model.count_params()} weights), {args.length} ids per run, median of {args.repeats}:")
    print(f"  sample_text (a full pass per id): {full:8.0f} ids/s")
    print(f"  generate (key/value cache):       {cached:8.0f} ids/s   ({cached / full:.1f}x)")
    return {"sample_text": full, "generate": cached}


if __name__ == "__main__":
    main()
