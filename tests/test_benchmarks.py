"""The timing scripts in benchmarks/ run against the library as it is now, and time what they say."""
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "benchmarks"))
import time_lstm  # noqa: E402

from minattn.fast.lstm import lstm, lstm_forward  # noqa: E402


def test_time_lstm_prints_a_positive_time_for_each_piece_of_each_shape(capsys):
    time_lstm.main(["--calls", "1", "--repeats", "1"])
    out = capsys.readouterr().out
    times = re.findall(r"^    (forward|backward \(grad at [a-z ]+\))\s+([0-9.]+) us$", out, flags=re.M)
    assert len(times) == 6                                              # 3 pieces x E2, E3
    assert all(float(us) > 0 for _, us in times)
    assert "E2 (batch 32, steps 10, features 10, units 64)" in out


def test_the_timed_forward_pass_computes_what_the_public_op_returns():
    """The script times ``lstm_forward``; it must be the work the recorded ``lstm`` op does."""
    args = time_lstm.lstm_arguments(batch=3, steps=4, features=2, units=5)
    timed = lstm_forward(*args)["outputs"]
    public = lstm(*args)
    assert len(timed) == len(public) == 3
    for a, b in zip(timed, public):
        assert np.array_equal(a, b)


def test_time_adam_prints_the_three_timings(capsys):
    import time_adam
    time_adam.main(["--calls", "2", "--repeats", "1"])
    out = capsys.readouterr().out
    times = re.findall(r"^    (moments normal|moments subnormal|one flushed copy) .*?\s([0-9.]+) us", out, flags=re.M)
    assert [name for name, _ in times] == ["moments normal", "moments subnormal", "one flushed copy"]
    assert all(float(us) > 0 for _, us in times)
