"""Test support for Zen and its plugins: a loopback fake LLM server, MCP client helpers, pytest fixtures.

The fixtures are registered automatically (``pytest11`` entry point); see :mod:`zen_core.testing.pytest_plugin`.
"""
