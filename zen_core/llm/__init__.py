"""The LLM layer: model configuration, the LiteLLM-backed service, limits, cache, errors and results."""

from zen_core.llm.errors import LLMError
from zen_core.llm.limits import LimitError
from zen_core.llm.service import LLMService, import_litellm, litellm_model_info
from zen_core.llm.types import Completion, CompletionStream, Usage

__all__ = [
    "Completion",
    "CompletionStream",
    "LLMError",
    "LLMService",
    "LimitError",
    "Usage",
    "import_litellm",
    "litellm_model_info",
]
