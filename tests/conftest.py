"""Shared test fixtures: every test starts from the same global state and leaves it as it found it."""
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

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


# Hypothesis (the property suite, tests/test_properties_*.py): one seeded, deterministic profile
# for CI and everyday runs; HYPOTHESIS_PROFILE=thorough explores more (and at random). The autouse
# fixture above runs once per test, not per example: the property tests set floatx and reset layer
# names themselves where it matters, hence function_scoped_fixture is not a problem there.
settings.register_profile("ci", derandomize=True, database=None, max_examples=25, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                 HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
