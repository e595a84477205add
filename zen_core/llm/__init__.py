"""The LLM layer: model configuration, the LiteLLM-backed service, limits, cache, errors and results.

Read it bottom-up: ``config`` (settings sections) and ``models`` (what models exist) ▶ ``backend`` (the only
module importing LiteLLM) ▶ ``limits``, ``cache``, ``errors`` ▶ ``service`` (one pipeline for answers and
streams) ▶ ``bound`` (the per-call view tools get as ``ctx.llm``). ``types`` and ``usage`` are the results.
"""

from zen_core.llm.backend import import_litellm, litellm_model_info
from zen_core.llm.errors import LLMError
from zen_core.llm.limits import LimitError
from zen_core.llm.service import LLMService
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
