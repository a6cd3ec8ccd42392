"""adlens: self-hosted multimodal ad intelligence."""

__version__ = "0.1.0"

__all__ = ["__version__"]
