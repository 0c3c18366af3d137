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


def allow_dtype(dtype):
    """Make ``dtype`` computable by the backend: JAX computes in float32 unless x64 is on.

    For float64 models this turns on ``jax_enable_x64`` (a process-wide JAX
    setting), because otherwise JAX would silently compute a float64 model in
    float32.
    """
    keras = import_keras()
    if dtype == "float64" and keras.backend.backend() == "jax":
        import jax
        jax.config.update("jax_enable_x64", True)
