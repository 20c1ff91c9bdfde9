"""LangChain test helpers: simulated-server answers that break a prompt template's variables."""

from tg_core.testing.template_faults import TemplateFault, template_fault

__all__ = ["TemplateFault", "template_fault"]
