"""All of minattn's layers: ``from minattn.layers import Dense, LSTM, ...``."""
from .attention import Attention, masked_softmax
from .attention_pooling import (AttentionPooling, AttentionWithContext, KeyValueAttention,
                                StructuredSelfAttention, attention_penalty)
from .base import Layer
from .bidirectional import Bidirectional
from .vocabulary import clear_session
from .decoder import AttentionDecoder
from .convolutional import Conv2D
from .core import Activation, Dense, Dropout, Lambda
from .embedding import Embedding
from .merging import Add, Concatenate, Multiply
from .multihead import MultiHeadAttention, PositionalEncoding
from .normalization import LayerNormalization
from .position import SinePositionEncoding, TokenAndPositionEmbedding
from .pooling import AveragePooling2D, GlobalAveragePooling1D, GlobalAveragePooling2D, MaxPooling2D
from .recurrent import GRU, LSTM
from .reshaping import Flatten, Permute, RepeatVector, Reshape
from .scores import get_score
from .transformer import TransformerDecoder, TransformerEncoder
from .vision_attention import SpatialTransformer, SqueezeExcite

__all__ = ["Layer", "clear_session", "Activation", "Dense", "Dropout", "Lambda", "Embedding",
           "Add", "Concatenate", "Multiply", "LSTM", "GRU", "Bidirectional", "Flatten", "Permute",
           "RepeatVector", "Reshape",
           "Attention", "MultiHeadAttention", "PositionalEncoding", "StructuredSelfAttention",
           "KeyValueAttention", "AttentionWithContext", "AttentionPooling", "attention_penalty",
           "get_score", "masked_softmax",
           "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
           "GlobalAveragePooling1D", "SqueezeExcite", "SpatialTransformer", "AttentionDecoder",
           "LayerNormalization", "TokenAndPositionEmbedding", "SinePositionEncoding",
           "TransformerEncoder", "TransformerDecoder"]
