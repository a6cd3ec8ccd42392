"""The ``embed`` seam: texts and images into named, versioned vector spaces.

* :class:`TextEmbedder` - MiniLM (ONNX Runtime) into the shared ``text`` space (384-d).
* :class:`ImageEmbedder` - decode, EfficientNet-Lite0 features (``visual``, 1280-d), ImageNet concepts,
  OCR, colours, pHash, and a ``text``-space vector for each image.
* :class:`ClipEmbedder` - a user-supplied CLIP/SigLIP from a local folder (``clip:<name>``).
"""

from adlens.embed.backbone import ImageBackbone, preprocess
from adlens.embed.clip import ClipEmbedder
from adlens.embed.colours import dominant_colours
from adlens.embed.concepts import ConceptIndex, ImageNetClass, imagenet_classes
from adlens.embed.decode import MAX_PIXELS, DecodedImage, decode_image
from adlens.embed.image import ImageAnalysis, ImageContext, ImageEmbedder
from adlens.embed.ocr import OcrLine, OcrReader
from adlens.embed.phash import hamming, phash
from adlens.embed.protocol import TextEncoder
from adlens.embed.runtime import make_session, resolve_providers
from adlens.embed.spaces import TEXT_SPACE, VISUAL_SPACE, Space, check_same_space, clip_space
from adlens.embed.text import TextEmbedder

__all__ = [
    "MAX_PIXELS",
    "TEXT_SPACE",
    "VISUAL_SPACE",
    "ClipEmbedder",
    "ConceptIndex",
    "DecodedImage",
    "ImageAnalysis",
    "ImageBackbone",
    "ImageContext",
    "ImageEmbedder",
    "ImageNetClass",
    "OcrLine",
    "OcrReader",
    "Space",
    "TextEmbedder",
    "TextEncoder",
    "check_same_space",
    "clip_space",
    "decode_image",
    "dominant_colours",
    "hamming",
    "imagenet_classes",
    "make_session",
    "phash",
    "preprocess",
    "resolve_providers",
]
