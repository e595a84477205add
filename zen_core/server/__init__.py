"""Transports: stdio and Streamable HTTP around one :class:`~zen_core.server.mcp.ZenMCPServer`."""
