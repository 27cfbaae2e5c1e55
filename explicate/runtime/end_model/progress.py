"""The end models' progress bar: the one of ``runtime.progress`` (training epochs, embedding)."""

from explicate.runtime.progress import Progress

__all__ = ["Progress"]
