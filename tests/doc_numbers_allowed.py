"""The numbers the pages may quote without a run: phrases, page by page (see tests/docs/test_doc_numbers.py).

Each entry is a phrase of the page holding a number that is not a result of a
committed run: a version, a tolerance a test enforces, a hyper-parameter of a
command, a number of the original articles, a size of the data. Keep it short:
a result goes in a run and is quoted with a marker, never listed here.

``BENCHMARKS`` (below) lists the benchmark records the pages quote and the command that re-makes
each at full size.
"""
ALLOWED = {
    "README.md": ["Python >= 3.10, NumPy 1.26 or 2.x, autograd >= 1.7"],                 # requirements
    "docs/start-here.md": ["Python 3.10 or newer"],
    "docs/scale-out.md": ["On Python 3.10", "3.11, pip picks", "Python 3.12)", "Keras 3.15",
                          "(Keras 3.15.1, JAX 0.10.2)", "JAX 0.10",                       # versions
                          "Adam(0.003) on both sides"],                                   # the demo's setting
    "docs/reliability.md": ["learning rate 500.5"],                                       # a test's setting
    "docs/coursework/adam_update.md": ["learning_rate=0.001, beta_1=0.9", "beta_2=0.999"],   # the signature
    "docs/coursework/local_p_weights.md": ["= 2.3 and 5.6"],                              # the check's inputs
    "docs/coursework/index.md": ["(60 s for the file"],                                   # the default limit
    "docs/coursework/grading.md": ["timed out after 60 s"],                               # the default limit
    "docs/transformer.md": ["keras_hub 0.32 / Keras 3.15",                       # versions
                            "a seeded 10% of",                                   # the data split
                            "temperature 0.8",                                   # a sampling setting
                            "1 / (1 - 0.999)"],                                  # Adam's beta_2 default
    "docs/articles/003-keras-attention-layer.md": ["N(0, 0.05²)",                   # an initializer's setting
                                                   "has 100 weights"],              # 100 units: one weight each
    "docs/attention.md": ["step 0 gets the most weight (0.59)", "step 0 gets 0.41 for feature 0 but only 0.19",
                          "would have taken 63% of the weight",              # worked examples: the code above
                          "more than 90%"],                                  # a test's bar
    "docs/results.md": ["final loss <= 0.0025", "> 0.6 (uniform attention)", "val_accuracy >= 0.99",  # criteria
                        "the article reports about 6 s per epoch (20 us/sample)",     # the article's numbers
                        "the article reports about 46 s per epoch (150 us/sample)"],
    "docs/one-step.md": ["moves its weight the least, by 0.0009947"],   # the printout below it (test_one_step.py)
    "docs/vision-attention.md": ["(sd 0.4)", "has sd 0.05", "1.5-2.5x",                # how the data are made
                                 "0.5 into a 5 x 5 output",                              # an example of a setting
                                 "by more than 0.2 and that the mean zoom is below 0.8"],  # the quick test's bars
}

# Blocks of numbers measured by hand that no committed file holds, page by page: the command (as in
# the page's <!--unsourced:COMMAND--> marker) that would write their file under docs/runs/bench/. The aim is none.
UNSOURCED = {}

# The benchmark records the pages quote (RUN ``bench/NAME`` is docs/runs/bench/NAME.json) and the command that
# re-makes each at full size; the page quoting one gives its command. Re-make them on the final code, then
# rewrite the pages' literals from them (and read the prose around the changes):
#     python docs/hooks/run_numbers.py --write
BENCHMARKS = {
    "bench/train": "python benchmarks/bench_train.py --json docs/runs/bench/train.json",
    "bench/transformers": "python benchmarks/bench_train.py --only GPT,DATES,TEXT --batches 20 --warmup 3 "
                          "--repeats 3 --no-memory --json docs/runs/bench/transformers.json",
    "bench/transformers_threads": "python benchmarks/bench_train.py --only GPT,DATES,TEXT --batches 20 --warmup 3 "
                                  "--repeats 3 --no-memory --default-threads "
                                  "--json docs/runs/bench/transformers_threads.json",
    "bench/grader": "python benchmarks/bench_grader.py --json docs/runs/bench/grader.json",
}
