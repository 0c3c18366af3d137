"""All of minattn's layers: ``from minattn.layers import Dense, LSTM, ...``."""
from .base import Layer, clear_session
from .core import Activation, Dense, Dropout, Lambda
from .embedding import Embedding
from .merging import Add, Concatenate, Multiply
from .recurrent import LSTM
from .reshaping import Flatten, Permute, RepeatVector, Reshape

__all__ = ["Layer", "clear_session", "Activation", "Dense", "Dropout", "Lambda", "Embedding",
           "Add", "Concatenate", "Multiply", "LSTM", "Flatten", "Permute", "RepeatVector", "Reshape"]
