"""Zen's version, and the version of the public plugin API (``zen_core``'s exports)."""

__version__ = "0.2.0"

#: The public API's major version: bumped when a name exported by ``zen_core`` changes incompatibly.
#: Plugins can check it (``zen_core.API_VERSION >= 2``) or pin ``zen-core>=0.2,<0.3``.
API_VERSION = 2
