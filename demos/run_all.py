"""Run all four article experiments, one after another, each in its own process.

    python demos/run_all.py                   # full size, the articles' settings (about 30 min on 2 cores)
    python demos/run_all.py --quick           # a smoke run, about a minute
    python demos/run_all.py --seeds 0 1 2     # full size, once per seed (runs/e1_seed0, ...)
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEMOS = {
    "e1": ["e1_dense_attention.py"],
    "e2": ["e2_attention_before_lstm.py"],
    "e2_per_feature": ["e2_attention_before_lstm.py", "--per-feature"],
    "e3": ["e3_lstm_attention.py"],
    "e4": ["e4_stacked_dense_attention.py"],
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small runs of every demo")
    parser.add_argument("--seeds", type=int, nargs="*", help="run each demo once per seed")
    parser.add_argument("--only", nargs="*", choices=sorted(DEMOS), help="a subset of the demos")
    parser.add_argument("--out", default="runs", help="parent folder of the results")
    args = parser.parse_args(argv)
    seeds = args.seeds or [None]
    for name in args.only or DEMOS:
        script, *flags = DEMOS[name]
        for seed in seeds:
            out = os.path.join(args.out, name if seed is None else f"{name}_seed{seed}")
            command = [sys.executable, os.path.join(HERE, script), "--out", out, "--verbose", "2", *flags]
            command += ["--quick"] if args.quick else []
            command += [] if seed is None else ["--seed", str(seed)]
            print("$", " ".join(command), flush=True)
            subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
