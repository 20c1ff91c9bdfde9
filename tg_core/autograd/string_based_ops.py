"""TextGrad's ``autograd.string_based_ops`` path, where its tutorials import StringBasedFunction."""

from .string_based import StringBasedFunction

__all__ = ["StringBasedFunction"]
