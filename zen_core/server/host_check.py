"""The DNS-rebinding check of ``/mcp`` (the SDK's ``TransportSecuritySettings``) for the bound address.

A web page on a name its attacker rebinds to the server's address can reach the server from a
browser; the Host header still carries the attacker's name. So ``/mcp`` accepts only the Host values
the server is really reached by: the bound address and port, ``localhost`` when that address is
loopback, and the names listed in ``server.allowed_hosts`` (``name:port``, or ``name:*`` for any
port; ``*`` alone turns the check off, e.g. behind a proxy that rewrites Host). Anything else gets 421.
"""

from __future__ import annotations

from mcp.server.transport_security import TransportSecuritySettings

from zen_core.settings import ConfigError, Settings

SETTING = "server.allowed_hosts"
#: Addresses that mean "every address of this machine": no client sends them as Host.
WILDCARDS = {"0.0.0.0", "::", ""}
LOOPBACK_ADDRESSES = {"127.0.0.1", "::1", "localhost"}
#: Browser origins of local tools (e.g. the MCP Inspector) accepted by a loopback server, any port.
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]


class HostCheckError(ConfigError):
    """The bound address does not tell which Host values are legitimate, and none are configured."""


def configured_hosts(settings: Settings) -> list[str]:
    """``server.allowed_hosts``: a list, or one comma-separated string (as an environment variable)."""
    value = settings.get(SETTING)
    if value is None:
        return []
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value if item.strip()]
    raise ConfigError(
        f"expected a list of Host values such as ['zen.example.com:8765'], got {value!r}",
        source=settings.source_of(SETTING),
        key=SETTING,
    )


def _host(address: str, port: int) -> list[str]:
    """The Host header values for ``address:port`` (the bare name too on port 80, HTTP's default)."""
    name = f"[{address}]" if ":" in address else address
    return [f"{name}:{port}", name] if port == 80 else [f"{name}:{port}"]


def allowed_hosts(bind_host: str, bound_address: str, port: int, settings: Settings) -> list[str]:
    """Every Host value ``/mcp`` accepts; empty for a wildcard bind without ``server.allowed_hosts``."""
    hosts: list[str] = []
    if bound_address not in WILDCARDS:
        hosts += _host(bound_address, port)
    if bind_host not in WILDCARDS:
        hosts += _host(bind_host, port)  # the name given to --host, e.g. localhost
    if bound_address in LOOPBACK_ADDRESSES:
        hosts += _host("localhost", port)
    hosts += configured_hosts(settings)
    return list(dict.fromkeys(hosts))


def transport_security(
    bind_host: str, bound_address: str, port: int, settings: Settings
) -> tuple[TransportSecuritySettings, HostCheckError | None]:
    """The SDK settings for ``/mcp``, and the error to raise when no Host value would be accepted."""
    hosts = allowed_hosts(bind_host, bound_address, port, settings)
    if "*" in hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False), None
    origins = [f"{scheme}://{host}" for host in hosts for scheme in ("http", "https")]
    if bound_address in LOOPBACK_ADDRESSES:
        origins += LOOPBACK_ORIGINS
    security = TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=origins)
    if hosts:
        return security, None
    return security, HostCheckError(
        f"{bind_host or bound_address} accepts connections on every address of this machine, so the "
        f"DNS-rebinding check cannot tell which Host names are yours: list the names clients use in {SETTING} "
        f"(e.g. ZEN_SERVER__ALLOWED_HOSTS=zen.example.com:{port}; '*' turns the check off), or bind one "
        "address with --host."
    )
