"""build_classifier's options: attention pooling in place of the mean, and pre-norm."""
import numpy as np
import pytest

import minattn
from minattn.transformers import build_classifier, pooling_attention


def ids(seed=0):
    x = np.random.default_rng(seed).integers(1, 20, (6, 9))
    x[::2, 5:] = 0                                                   # padded reviews
    return x


def built(**options):
    minattn.clear_session()
    minattn.set_random_seed(4)
    return build_classifier(20, 9, embedding_dim=8, num_heads=2, intermediate_dim=8, **options)


def test_attention_pooling_weights_cover_the_real_words_only():
    model, _ = built(pooling="attention")
    x = ids()
    weights = pooling_attention(model).predict(x)                    # (n, T)
    assert weights.shape == (6, 9)
    assert np.all(weights[x == 0] == 0.0) and np.all(weights[x != 0] > 0)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)
    probability = model.predict(x)
    assert probability.shape == (6, 1) and np.all((probability > 0) & (probability < 1))


def test_attention_pooling_adds_one_score_kernel_and_changes_the_output():
    mean, _ = built()
    attention, _ = built(pooling="attention")
    assert attention.count_params() == mean.count_params() + 8         # kernel (d, 1)
    assert not np.allclose(mean.predict(ids()), attention.predict(ids()))


def test_normalize_first_builds_a_pre_norm_block():
    post, post_block = built()
    pre, pre_block = built(normalize_first=True)
    assert pre_block.normalize_first and not post_block.normalize_first
    assert pre.count_params() == post.count_params()
    assert not np.allclose(pre.predict(ids()), post.predict(ids()))


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="pooling must be 'mean' or 'attention', got 'max'"):
        built(pooling="max")
    mean, _ = built()
    with pytest.raises(ValueError, match="pooling_attention: the model's 'pooling' layer returns no weights"):
        pooling_attention(mean)
