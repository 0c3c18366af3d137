"""Regenerate every figure in docs/figures and the results behind every number the docs quote.

Runs the demos with their fixed seeds, each in its own process, into one
folder (``runs/docs/<run>``), then copies the figures the pages use into
``docs/figures/`` and each run's ``results.json`` into ``docs/runs/<run>/``.
Every result number a page quotes names its run and path in a marker
(``0.9975<!--run:dates:variants.global_additive.exact_match-->``):
docs/hooks/run_numbers.py renders it when the site is built and
tests/docs/test_doc_numbers.py fails when a page's literal differs from its run.

    python demos/make_doc_figures.py                 # full size, as committed: about an hour (the runs
                                                     # committed added up to 3 965 s, most made two at a
                                                     # time on a shared 2-core machine; char_gpt alone 505 s)
    python demos/make_doc_figures.py --only dates    # one run (names: see RUNS)
    python demos/make_doc_figures.py --copy-only     # copy from runs/docs without running again
    python demos/make_doc_figures.py --quick         # every demo at --quick size, a few minutes;
                                                     # copies into runs/docs_quick/, not into docs/
    python demos/make_doc_figures.py --quick-references   # the small runs tests/demos/test_quick_runs.py
                                                     # compares with (tests/fixtures/quick_runs/), ~2 min
    python docs/hooks/run_numbers.py --write         # then the numbers the pages quote, from docs/runs/

A re-run with the same seeds gives the same numbers and figures (timings aside).

The benchmark records the pages quote (docs/runs/bench/*.json) are not made here: each has its
command in ``BENCHMARKS`` of tests/doc_numbers_allowed.py (with PyTorch and JAX installed), e.g.
``python benchmarks/bench_train.py --json docs/runs/bench/train.json``; then run_numbers.py --write.
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOCS = os.path.join(ROOT, "docs")

# run name -> (demo command, {file the demo writes: name under docs/figures}).
# Runs that copy no figure are there for the numbers the pages quote.
RUNS = {
    "e1": (["e1_dense_attention.py"], {"attention.png": "e1_attention.png", "loss.png": "e1_loss.png"}),
    "e1_quick": (["e1_dense_attention.py", "--quick"], {"importance.png": "e1_quick_importance.png"}),
    "e1_seed1": (["e1_dense_attention.py", "--seed", "1"], {"importance.png": "e1_seed1_importance.png"}),
    "e1_seed2": (["e1_dense_attention.py", "--seed", "2"], {}),
    "e2": (["e2_attention_before_lstm.py"], {"importance.png": "e2_importance.png", "loss.png": "e2_loss.png"}),
    "e2_seed1": (["e2_attention_before_lstm.py", "--seed", "1"], {}),
    "e2_seed2": (["e2_attention_before_lstm.py", "--seed", "2"], {}),
    "e2_per_feature": (["e2_attention_before_lstm.py", "--per-feature"],
                       {"attention_grid.png": "e2_per_feature_attention_grid.png"}),
    "e2_per_feature_seed1": (["e2_attention_before_lstm.py", "--per-feature", "--seed", "1"], {}),
    "e2_per_feature_seed2": (["e2_attention_before_lstm.py", "--per-feature", "--seed", "2"], {}),
    "e3": (["e3_lstm_attention.py"], {"attention.png": "e3_attention.png"}),
    "e3_seed1": (["e3_lstm_attention.py", "--seed", "1"], {}),
    "e3_seed2": (["e3_lstm_attention.py", "--seed", "2"], {}),
    "e4": (["e4_stacked_dense_attention.py"], {"attention.png": "e4_attention.png", "loss.png": "e4_loss.png"}),
    "e4_seed1": (["e4_stacked_dense_attention.py", "--seed", "1"], {}),
    "e4_seed2": (["e4_stacked_dense_attention.py", "--seed", "2"], {}),
    "dates": (["translate_dates.py"], {
        "global_additive_heatmap_0.png": "seq2seq_global_additive_0.png",
        "global_additive_heatmap_1.png": "seq2seq_global_additive_1.png",
        "global_additive_heatmap_2.png": "seq2seq_global_additive_2.png",
        "local_p_additive_heatmap_1.png": "seq2seq_local_p_1.png",
        "hard_additive_heatmap_2.png": "seq2seq_hard_2.png"}),
    "dates_bilstm": (["translate_dates.py", "--variants", "global_additive"], {}),   # transformer.md's baseline
    "text": (["text_attention.py"], {"attention_words.png": "text_attention_words.png"}),
    "text_transformers": (["text_attention.py", "--variants", "pooling", "transformer", "transformer_attn"], {}),
    "text_transformers_20k": (["text_attention.py", "--variants", "transformer_attn", "--samples", "20000"], {}),
    "text_transformer_long": (["text_attention.py", "--variants", "transformer", "--epochs", "20"], {}),
    "se_channels": (["se_channels.py"], {"se_weights.png": "se_weights.png", "sample.png": "se_sample.png"}),
    "se_channels_ratio4": (["se_channels.py", "--ratio", "4"], {}),
    "se_channels_long": (["se_channels.py", "--samples", "10000", "--epochs", "20"], {}),
    "spatial_transformer": (["spatial_transformer.py"], {"stn_views.png": "stn_views.png",
                                                          "loss.png": "stn_loss.png"}),
    "char_gpt": (["char_gpt.py"], {"bits_per_char.png": "transformer_gpt_bits_per_char.png",
                                   "learning_curves.png": "transformer_gpt_learning_curves.png",
                                   "causal_attention.png": "transformer_gpt_causal_attention.png"}),
    "one_step": (["one_training_step.py"], {}),
    "dates_transformer": (["translate_dates_transformer.py"], {
        "cross_attention_0.png": "transformer_dates_cross_attention_0.png",
        "cross_attention_2.png": "transformer_dates_cross_attention_2.png",
        "loss.png": "transformer_dates_loss.png"}),
    "dates_transformer_seed1": (["translate_dates_transformer.py", "--seed", "1"], {}),
    "dates_transformer_seed2": (["translate_dates_transformer.py", "--seed", "2"], {}),
    "scale_out_gpt": (["scale_out.py", "--model", "gpt", "--quick", "--epochs", "2"], {}),   # scale-out.md; needs [keras]
}


# The quick references: each demo at a small size (seconds each), whose results.json is committed
# under tests/fixtures/quick_runs/<name>/ and re-made and compared by tests/demos/test_quick_runs.py, so a
# change to the numbers the code computes is caught in CI. Re-make them, with the full runs, by
#     python demos/make_doc_figures.py --quick-references
QUICK_REFERENCES = {
    "e1": ["e1_dense_attention.py", "--samples", "3000", "--epochs", "2"],
    "e2": ["e2_attention_before_lstm.py", "--samples", "2000", "--epochs", "1"],
    "e2_per_feature": ["e2_attention_before_lstm.py", "--per-feature", "--samples", "2000", "--epochs", "1"],
    "e3": ["e3_lstm_attention.py", "--samples", "2000", "--epochs", "1"],
    "e4": ["e4_stacked_dense_attention.py", "--samples", "2000", "--epochs", "3"],
    "dates": ["translate_dates.py", "--samples", "1000", "--epochs", "1"],
    "text": ["text_attention.py", "--samples", "600", "--epochs", "1"],
    "se_channels": ["se_channels.py", "--samples", "600", "--epochs", "1"],
    "spatial_transformer": ["spatial_transformer.py", "--samples", "600", "--epochs", "1"],
    "char_gpt": ["char_gpt.py", "--samples", "300", "--epochs", "1"],
    "dates_transformer": ["translate_dates_transformer.py", "--samples", "1000", "--epochs", "3"],
}
QUICK_REFERENCE_FOLDER = os.path.join(ROOT, "tests", "fixtures", "quick_runs")


# Scripts without the demos' --verbose (and no quick reference): one_training_step.py takes
# seconds at full size; scale_out.py has its own options (its run passes --quick) and needs the
# [keras] extra, so the drift check (tests/demos/test_quick_runs.py) cannot re-run it everywhere.
PLAIN_SCRIPTS = ("one_training_step.py", "scale_out.py")


# One BLAS thread, as the committed runs used: the same sums in the same order on any machine.
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def doc_figures():
    """Every file name under docs/figures this script writes."""
    return sorted(name for _, figures in RUNS.values() for name in figures.values())


def reference_command(name, folder):
    """The command that makes quick reference ``name`` into ``folder`` (``--quick`` sizes made smaller)."""
    script, *flags = QUICK_REFERENCES[name]
    return [sys.executable, os.path.join(HERE, script), "--quick", *flags, "--out", folder, "--verbose", "0"]


def make_quick_references(names, out):
    """Run the quick references ``names`` into ``out`` and copy each results.json into the fixtures."""
    for name in names:
        folder = os.path.join(out, name)
        shutil.rmtree(folder, ignore_errors=True)
        command = reference_command(name, folder)
        print("$", " ".join(command), flush=True)
        subprocess.run(command, check=True, env=dict(os.environ, MPLBACKEND="Agg", **ONE_THREAD))
        os.makedirs(os.path.join(QUICK_REFERENCE_FOLDER, name), exist_ok=True)
        shutil.copyfile(os.path.join(folder, "results.json"),
                        os.path.join(QUICK_REFERENCE_FOLDER, name, "results.json"))
    print(f"quick references copied to {QUICK_REFERENCE_FOLDER}/<name>/")


def run(name, out, quick):
    """Run one demo into ``out/name`` (a fresh folder)."""
    script, *flags = RUNS[name][0]
    folder = os.path.join(out, name)
    shutil.rmtree(folder, ignore_errors=True)
    command = [sys.executable, os.path.join(HERE, script), *flags, "--out", folder]
    if script not in PLAIN_SCRIPTS:
        command += ["--verbose", "2"] + (["--quick"] if quick and "--quick" not in flags else [])
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, env=dict(os.environ, MPLBACKEND="Agg", **ONE_THREAD))


def copy(name, out, figures_to, results_to, quick=False):
    """Copy run ``name``'s figures (under their docs names) and its results.json.

    A quick run may not draw every figure (``translate_dates.py --quick`` trains one variant of six).
    """
    folder = os.path.join(out, name)
    for written, doc_name in RUNS[name][1].items():
        if quick and not os.path.exists(os.path.join(folder, written)):
            continue
        shutil.copyfile(os.path.join(folder, written), os.path.join(figures_to, doc_name))
    os.makedirs(os.path.join(results_to, name), exist_ok=True)
    shutil.copyfile(os.path.join(folder, "results.json"), os.path.join(results_to, name, "results.json"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="every demo at --quick size; copies into <out>/figures and <out>/results")
    parser.add_argument("--only", nargs="+", choices=sorted(RUNS), help="a subset of the runs")
    parser.add_argument("--out", help="folder of the runs (default runs/docs, or runs/docs_quick)")
    parser.add_argument("--copy-only", action="store_true", help="copy from --out without running")
    parser.add_argument("--quick-references", nargs="*", metavar="NAME",
                        choices=sorted(QUICK_REFERENCES),
                        help="instead of the runs, re-make the quick references tests/demos/test_quick_runs.py "
                             "compares with (all, or the NAMEs given; seconds each)")
    args = parser.parse_args(argv)
    if args.quick_references is not None:
        make_quick_references(args.quick_references or list(QUICK_REFERENCES),
                              args.out or os.path.join("runs", "quick_references"))
        return
    out = args.out or os.path.join("runs", "docs_quick" if args.quick else "docs")
    figures_to = os.path.join(out, "figures") if args.quick else os.path.join(DOCS, "figures")
    results_to = os.path.join(out, "results") if args.quick else os.path.join(DOCS, "runs")
    os.makedirs(figures_to, exist_ok=True)
    names = args.only or list(RUNS)
    for name in names:
        if not args.copy_only:
            run(name, out, args.quick)
        copy(name, out, figures_to, results_to, args.quick)
    print(f"figures copied to {figures_to}/, results.json files to {results_to}/<run>/")


if __name__ == "__main__":
    main()
