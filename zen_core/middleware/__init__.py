"""Built-in middleware plugins wrapped around every tool call.

Order, outermost first: :mod:`~zen_core.middleware.auth`, :mod:`~zen_core.middleware.logging`,
:mod:`~zen_core.middleware.metrics`, then third-party middleware (see ``docs/middleware.md``).
"""
