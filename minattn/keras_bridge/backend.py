"""Import Keras 3 on the JAX backend, once, and make float64 mean float64.

Keras picks its backend when it is first imported, from ``KERAS_BACKEND``;
unset, it would be TensorFlow, which the ``[keras]`` extra does not install.
So the bridge sets ``KERAS_BACKEND=jax`` unless the user chose another.
"""
import os


def import_keras():
    """``keras``, imported on the JAX backend (unless ``KERAS_BACKEND`` says otherwise).

    Raises:
        ImportError: naming the extra to install, when Keras or JAX is missing.
    """
    os.environ.setdefault("KERAS_BACKEND", "jax")
    try:
        import keras
    except ImportError as err:
        raise ImportError("minattn.keras_bridge needs Keras 3 and JAX: "
                          'pip install -e ".[keras]"  (' + str(err) + ")") from err
    if not keras.__version__.startswith("3."):
        raise ImportError(f"minattn.keras_bridge needs Keras 3, found Keras {keras.__version__}")
    return keras


def use_dtype(dtype):
    """Make Keras compute and feed data in ``dtype`` ("float32" or "float64").

    Process-wide settings, because without them a float64 model would be
    computed in float32 without a word: ``keras.config.set_floatx(dtype)``
    (``fit`` and ``predict`` cast float data to it), the global dtype policy
    (new layers' weights) and, for float64 on JAX, ``jax_enable_x64`` (JAX
    computes in float32 unless it is on).
    """
    keras = import_keras()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    if dtype == "float64" and keras.backend.backend() == "jax":
        import jax
        jax.config.update("jax_enable_x64", True)
