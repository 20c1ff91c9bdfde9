"""Textual-autograd adapters for DSPy and LangChain."""
