"""The version of skw2v (read by the build, the model files and the CLI)."""

__version__ = "0.1.0"
