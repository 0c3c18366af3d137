"""Shared test fixtures: every test starts from the same global state and leaves it as it found it."""
import os
import sys

import pytest

import minattn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))      # for ``import gradcheck_cases``


@pytest.fixture(autouse=True)
def fresh_session():
    """Layer names from _1, seed 0, and floatx / fused restored after the test."""
    minattn.clear_session()
    minattn.set_random_seed(0)
    old_floatx, old_fused = minattn.floatx(), minattn.fused_enabled()
    yield
    minattn.set_floatx(old_floatx)
    minattn.set_fused(old_fused)
    minattn.clear_session()


@pytest.fixture
def float64():
    """Run the test with float64 weights and data."""
    minattn.set_floatx("float64")
    yield
