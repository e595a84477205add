"""Built-in plugins, registered exactly like third-party ones (after them, so pluggy calls them first):
the ``listmodels``, ``version``, ``threads``, ``usage``, ``jobs`` and ``cancel_job`` tools, the YAML model
source, and the auth, logging and metrics middleware."""
