"""The shared command line of the demos: --quick only fills in what is not typed; variants get folders."""
import os

import pytest

from demo_runner import import_demo
from minattn.experiments.cli import experiment_parser, parse_experiment_args





def parse(argv, quick=None, variant=None):
    parser = experiment_parser("A test.", samples=300, epochs=10, seed=7, out=os.path.join("runs", "t"),
                               quick=quick or {"samples": 20, "epochs": 3})
    parser.add_argument("--flavour", default="plain")
    return parse_experiment_args(parser, argv, variant=variant)


def test_defaults_without_quick():
    args = parse([])
    assert (args.samples, args.epochs, args.seed, args.out) == (300, 10, 7, os.path.join("runs", "t"))


def test_quick_sets_the_sizes_it_names():
    args = parse(["--quick"])
    assert (args.samples, args.epochs) == (20, 3)


@pytest.mark.parametrize("argv, expected", [
    (["--quick", "--epochs", "5"], (20, 5)),
    (["--epochs", "5", "--quick"], (20, 5)),                # the order does not matter
    (["--quick", "--samples=40"], (40, 3)),
    (["--quick", "--samples", "300", "--epochs", "10"], (300, 10)),   # explicit values equal to the defaults
    (["--samples", "40"], (40, 10)),
])
def test_explicit_sizes_win_over_quick(argv, expected):
    args = parse(argv)
    assert (args.samples, args.epochs) == expected


def test_quick_can_name_a_script_option():
    quick = {"samples": 20, "flavour": "quick"}
    assert parse(["--quick"], quick).flavour == "quick"
    assert parse(["--quick", "--flavour", "mine"], quick).flavour == "mine"
    assert parse([], quick).flavour == "plain"


def test_a_variant_gets_a_folder_of_its_own_unless_out_is_given():
    variant = (lambda a: [] if a.flavour == "plain" else [a.flavour])
    assert parse([], variant=variant).out == os.path.join("runs", "t")
    assert parse(["--flavour", "sour"], variant=variant).out == os.path.join("runs", "t_sour")
    assert parse(["--flavour", "sour", "--out", "mine"], variant=variant).out == "mine"


@pytest.mark.parametrize("name, argv, folder", [
    ("e2_attention_before_lstm", [], "e2"),
    ("e2_attention_before_lstm", ["--per-feature"], "e2_per_feature"),
    ("text_attention", [], "text"),
    ("text_attention", ["--bidirectional"], "text_bidirectional"),
    ("text_attention", ["--imdb", "somewhere"], "text_imdb"),
    ("text_attention", ["--imdb", "somewhere", "--bidirectional"], "text_imdb_bidirectional"),
    ("se_channels", ["--ratio", "4"], "se_channels_ratio4"),
    ("se_channels", ["--ratio", "2"], "se_channels"),
])
def test_demo_variants_write_to_their_own_folders(name, argv, folder):
    args = import_demo(name).parse_args(argv)
    assert args.out == os.path.join("runs", folder)


def test_demo_quick_keeps_explicit_options():
    args = import_demo("e1_dense_attention").parse_args(["--quick", "--epochs", "5"])
    assert (args.samples, args.epochs) == (20_000, 5)
    text = import_demo("text_attention").parse_args(["--quick", "--max-len", "40"])
    assert (text.samples, text.epochs, text.max_len) == (3000, 4, 40)
    dates = import_demo("translate_dates")
    assert dates.parse_args(["--quick"]).variants == ["global_additive"]
    chosen = dates.parse_args(["--quick", "--variants", "hard_additive", "--samples", "900"])
    assert chosen.variants == ["hard_additive"] and chosen.samples == 900 and chosen.epochs == 4
