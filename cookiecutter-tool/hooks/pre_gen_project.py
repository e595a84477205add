"""Refuse inputs that would render a broken project (cookiecutter runs this before writing files)."""

import keyword
import re
import sys

IDENTIFIERS = {"package_name", "class_name"}
CHECKS = [
    (
        "plugin_name",
        "{{ (cookiecutter.plugin_name | tojson)[1:-1] }}",
        r"[A-Za-z][A-Za-z0-9 _-]*",
        "start with a letter and use only letters, digits, spaces, '-' or '_'",
    ),
    (
        "project_slug",
        "{{ (cookiecutter.project_slug | tojson)[1:-1] }}",
        r"[a-z][a-z0-9]*(-[a-z0-9]+)*",
        "be lower-case words joined by '-' (a PyPI name)",
    ),
    (
        "package_name",
        "{{ (cookiecutter.package_name | tojson)[1:-1] }}",
        r"[a-z_][a-z0-9_]*",
        "be a Python module name",
    ),
    (
        "tool_name",
        "{{ (cookiecutter.tool_name | tojson)[1:-1] }}",
        r"[A-Za-z0-9_-]{1,64}",
        "be 1-64 letters, digits, '_' or '-' (an MCP tool name)",
    ),
    ("class_name", "{{ (cookiecutter.class_name | tojson)[1:-1] }}", r"[A-Z][A-Za-z0-9]*", "be a Python class name"),
]


def main() -> int:
    problems = [
        f"{key} {value!r} must {rule}"
        for key, value, pattern, rule in CHECKS
        if not re.fullmatch(pattern, value) or (key in IDENTIFIERS and keyword.iskeyword(value))
    ]
    for problem in problems:
        print(f"ERROR: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
