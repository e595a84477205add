"""The call log file holds prompts at DEBUG: it and its rotations are created private (0600), like zen.db."""

from __future__ import annotations

import stat
from pathlib import Path

from zen_core.testing.mcp import stdio_client
from zen_core.testing.pytest_plugin import ZenConfig


async def test_the_log_file_and_its_rotations_are_private(
    zen_env: dict[str, str], zen_config: ZenConfig, tmp_path: Path
) -> None:
    log_file = tmp_path / "logs" / "calls.log"
    # a tiny max_bytes: every call's line rotates the file
    zen_config.write("logging.yaml", {"logging": {"file": str(log_file), "level": "DEBUG", "max_bytes": 100}})
    async with stdio_client(zen_env) as client:
        for _ in range(4):
            assert (await client.call_tool("version", {})).is_error is False
    files = sorted(log_file.parent.iterdir())  # the server has exited: its log writer has flushed
    assert {"calls.log", "calls.log.1", "calls.log.2"} <= {f.name for f in files}
    assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: "0o600" for f in files}
    assert '"tool":"version"' in (log_file.parent / "calls.log.1").read_text()
