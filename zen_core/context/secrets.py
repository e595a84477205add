"""Secrets: which files must never be sent to a model, by name and by content.

Pure functions, no I/O. :func:`is_secret` looks at a path (key files, credential stores, agent configs,
shell histories, backup copies of any of them); :func:`find_secrets` looks at a text (provider API keys,
private-key blocks, high-entropy values assigned to secret-looking names) and returns only line numbers
and kinds, never the secret itself.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

__all__ = [
    "ENTROPY_THRESHOLD",
    "SECRET_NAMES",
    "SECRET_SUFFIXES",
    "SecretFinding",
    "describe_findings",
    "find_secrets",
    "is_secret",
    "shannon_entropy",
    "withheld_reason",
]

# -- names -------------------------------------------------------------------------------------
#: File-name patterns (lower-cased ``fnmatch``) refused as secrets unless ``allow_secrets`` is set.
SECRET_NAMES = (
    *(".env", ".env.*", "*.env", ".env_*", ".env-*", ".envrc"),
    *(".npmrc", ".pypirc", ".netrc", "_netrc", ".pgpass", ".git-credentials", ".vault-token", ".s3cfg", ".boto"),
    *("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_rsa.*", "id_dsa.*", "id_ecdsa.*", "id_ed25519.*"),
    *("id_rsa?*", "id_dsa?*", "id_ecdsa?*", "id_ed25519?*", "*.ppk", "*.keytab"),
    *("*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx"),
    *("credentials", "*credentials*.json", "credentials.y*ml", "credentials.toml", "credentials.ini", "credentials.db"),
    *("*.tfvars", "*.tfstate", "*.tfstate.backup", ".terraformrc", "terraform.rc"),
    *("secrets.json", "secrets.y*ml", "secrets.toml", "secrets.ini", "*.secret", "*.secrets"),
    *("service-account*.json", "htpasswd", ".htpasswd", "wp-config.php", "access_tokens.db"),
    *("kubeconfig", "*.kubeconfig", "kubeconfig.y*ml", "kubeconfig.json"),
    *(".claude.json", ".mcp.json"),  # AI agents' configs: API keys, MCP servers' environment
    *(".*_history", ".history", ".zhistory", "fish_history"),  # shell and REPL histories: pasted keys
)
#: Relative path suffixes refused as secrets (matched against the last path components).
SECRET_SUFFIXES = (
    (".aws", "credentials"),
    (".aws", "config"),
    (".docker", "config.json"),
    (".kube", "config"),
    (".ssh", "*"),
    (".gnupg", "*"),
    (".config", "gh", "hosts.yml"),
    (".claude", "settings*.json"),
    (".codex", "config.toml"),
    (".codex", "auth.json"),
    (".cursor", "mcp.json"),
    (".gemini", "settings.json"),
)
#: A backup or editor copy's ending: ``.env~``, ``id_rsa_old``, ``credentials.json.bak``, ``config.orig``.
_BACKUP = re.compile(r"(?:~|[._-](?:bak|backup|old|orig|save|copy|swp|tmp)\d*)$")


def _any_of(patterns: Iterable[str]) -> re.Pattern[str]:
    """One regex matching what any of the glob ``patterns`` matches (a fast first check)."""
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns))


#: Any secret name, and the last part of any secret suffix: most files match neither, so one regex
#: search each replaces the pattern-by-pattern loop (which names the pattern, for the few that match).
_ANY_NAME = _any_of(SECRET_NAMES)
_ANY_SUFFIX_END = _any_of(suffix[-1] for suffix in SECRET_SUFFIXES)


def is_secret(path: Path | str) -> str | None:
    """Why ``path`` looks like a secret (``None`` when it does not). Looks at the name and parents only."""
    parts = [p.lower() for p in PurePath(path).parts]
    if not parts:
        return None
    if ".git" in parts[:-1] or parts[-1] == ".git":
        return "inside a .git directory (repository internals)"
    name, copy = parts[-1], ""
    while True:
        if _ANY_NAME.match(name):
            for pattern in SECRET_NAMES:
                if fnmatch.fnmatchcase(name, pattern):
                    return f"secret file (matches '{pattern}'{copy})"
        for suffix in SECRET_SUFFIXES if _ANY_SUFFIX_END.match(name) else ():
            tail = [*parts[-len(suffix) : -1], name]
            if len(parts) >= len(suffix) and all(map(fnmatch.fnmatchcase, tail, suffix)):
                return f"secret file (matches '{'/'.join(suffix)}'{copy})"
        stripped = _BACKUP.sub("", name)
        if stripped in (name, ""):
            return None
        name, copy = stripped, ", a backup copy"


# -- contents ----------------------------------------------------------------------------------
#: Least Shannon entropy (bits per character) of a value assigned to a secret-looking name to count as
#: a secret: ``"abcdefgh"`` has 3.0, ``"password"`` 2.75, a random 32-character key about 4.5.
ENTROPY_THRESHOLD = 3.0
#: Findings reported per text (the first ones, by line).
MAX_FINDINGS = 5


@dataclass(frozen=True)
class SecretFinding:
    """Where a secret is and what kind it is; never the secret itself."""

    line: int
    kind: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}"


def shannon_entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character (0 for ``""`` or one repeated character)."""
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values()) if n else 0.0


#: Placeholders and references in values assigned to secret-looking names (``"your-api-key-here"``,
#: ``"password123"``, ``${DB_PASSWORD}``, ``os.environ/KEY``, ``f"{key}"``).
_PLACEHOLDER = re.compile(
    r"(?i)example|sample|placeholder|dummy|fake|mock|your|change[-_]?me|redacted|replace|insert|test|abc123"
    r"|password|passwd|secret|token|credential|api[-_]?key|environ|x{4}|\.\.\.|\*\*\*|[<>]|1234|abcd|0{6}"
    r"|\{[^}\s]*\}|\$[\w{(]|%\(|%s|://|^(?:/[a-z0-9_.-]+){2,}/?$"  # …, a URL, a /path/like/this
)
#: Values that are names, not secrets.
_NOT_VALUE = re.compile(
    r"[-+]?[\d.]+(?:e[-+]?\d+)?"  # a number
    r"|[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+"  # an environment variable's name
    r"|[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+"  # a dotted name: module.Class, i18n.message.key
)
#: Placeholders after a provider's prefix (``sk-your-key-here``, ``AKIA...EXAMPLE``); narrower, since a
#: real key's random part can hold a short word.
_KEY_PLACEHOLDER = re.compile(
    r"(?i)example|sample|placeholder|dummy|your[-_]|[-_]here|(?:test|fake|mock)[-_]|x{5}|\.\.\.|\*\*\*|[<>]"
    r"|\$\{|\{\{|1234567|abcdef|0{6}"
)
#: Least entropy of the random part of a key with a provider's prefix (16 random base32 characters, as in
#: an AWS key ID, fall below 2.5 once in 200,000).
_KEY_ENTROPY = 2.5
_LOWER, _UPPER, _DIGIT = re.compile("[a-z]"), re.compile("[A-Z]"), re.compile("[0-9]")
_SYMBOL = re.compile(r"[^\w.-]")  # not a letter, digit, ``_``, ``-`` or ``.``: ``!@#$%^&*+=/~``…
#: Two or more lower-case words in a value (``sk-zen-config-key-4f9a``, ``spinner-fading-circle``) make
#: it a name; a UUID's hex groups are not words (they hold no letter after ``f``).
_WORDS = re.compile(r"(?:^|[-_.])[a-z]*[g-z][a-z]*[a-z](?=[-_.]|$)")


def _classes(value: str) -> int:
    return sum(1 for c in (_LOWER, _UPPER, _DIGIT) if c.search(value))


#: A CamelCase or lower-case identifier (``DeprecatedArgument``, ``AWSAccessKeyId``), not a generated value.
_IDENTIFIER = re.compile(r"[a-z]*(?:[A-Z]{1,4}[a-z]{2,})*(?:[A-Z]{1,4}[a-z]?)?")


def _made_up(value: str) -> bool:
    """Lower-case words (``sk-zen-config-key-4f9a``) or runs typed in order (``Abc123_def456``): a fixture."""
    if not _UPPER.search(value) and len(_WORDS.findall(value)) >= 2:
        return True
    low = value.lower()
    runs = sum(ord(b) == ord(a) + 1 and ord(c) == ord(a) + 2 for a, b, c in zip(low, low[1:], low[2:], strict=False))
    return runs >= 3


def _value(value: str) -> bool:
    """Whether a value assigned to a secret-looking name looks generated, not a word, name or placeholder:
    long enough, mixed (letters and digits or symbols), high entropy."""
    return (
        len(value) >= 8
        and value[0] not in ",;:.)]}"  # the quote that ended a string, not one that starts a value
        and not _PLACEHOLDER.search(value)
        and not _made_up(value)
        and not _NOT_VALUE.fullmatch(value)
        and (_classes(value) >= 2 or bool(_SYMBOL.search(value)))
        and not _IDENTIFIER.fullmatch(value)
        and shannon_entropy(value) >= ENTROPY_THRESHOLD
    )


def _any_key(value: str) -> bool:
    """Whether the part after a provider's prefix is not a placeholder (any alphabet)."""
    return not _KEY_PLACEHOLDER.search(value) and shannon_entropy(value) >= _KEY_ENTROPY


def _key(value: str) -> bool:
    """Whether the part after a provider's prefix looks random: mixed letters and digits, not words-like-this."""
    return _classes(value) >= 2 and not _made_up(value) and _any_key(value)


# Each pattern starts with a literal (fast to search for); ``(?<!\w…)`` after it stands for ``\b`` before it.
_Rule = tuple[str, "re.Pattern[str]", Callable[[str], bool]]
_PROVIDER_RULES: list[_Rule] = [
    (
        "private key block",
        re.compile(
            r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[rn]|[\"'+,])*"
            r"(?:[A-Za-z-]+:[^\n\\]*(?:\s|\\[rn])+)*(?P<v>[A-Za-z0-9+/=]{32,})"
        ),
        _any_key,
    ),
    ("Anthropic API key", re.compile(r"sk-ant-(?<!\wsk-ant-)(?:[a-z]+\d\d-)?(?P<v>[\w-]{32,})"), _key),
    ("OpenRouter API key", re.compile(r"sk-or-v1-(?<!\wsk-or-v1-)(?P<v>[A-Za-z0-9]{32,})"), _any_key),
    ("OpenAI API key", re.compile(r"sk-(?<!\wsk-)(?!ant-|or-v1-)(?:[a-z]+-)?(?P<v>[\w-]{20,})"), _key),
    ("Google API key", re.compile(r"AIza(?<!\wAIza)(?P<v>[\w-]{35})(?![\w-])"), _key),
    ("AWS access key ID", re.compile(r"A(?:KIA|SIA|BIA|CCA)(?<!\w....)(?P<v>[A-Z0-9]{16})\b"), _any_key),
    (
        "GitHub token",
        re.compile(r"g(?:h[pousr]_(?<!\wgh._)|ithub_pat_(?<!\wgithub_pat_))(?P<v>[A-Za-z0-9_]{36,})"),
        _key,
    ),
    ("GitLab token", re.compile(r"glpat-(?<!\wglpat-)(?P<v>[\w-]{20,})"), _key),
    ("Slack token", re.compile(r"xox[abposre]-(?<!\wxox.-)(?P<v>[A-Za-z0-9-]{20,})"), _key),
    ("Slack webhook URL", re.compile(r"hooks\.slack\.com/services/(?P<v>T\w+/B\w+/[A-Za-z0-9]{20,})"), _any_key),
    (
        "Stripe live secret key",
        re.compile(r"k_live_(?<=\b[rs]k_live_)(?P<v>[A-Za-z0-9]{20,})"),
        _key,
    ),
    ("xAI API key", re.compile(r"xai-(?<!\wxai-)(?P<v>[A-Za-z0-9]{40,})"), _key),
    ("Groq API key", re.compile(r"gsk_(?<!\wgsk_)(?P<v>[A-Za-z0-9]{40,})"), _key),
    ("Hugging Face token", re.compile(r"hf_(?<!\whf_)(?P<v>[A-Za-z0-9]{30,})"), _key),
    ("npm token", re.compile(r"npm_(?<!\wnpm_)(?P<v>[A-Za-z0-9]{36})\b"), _key),
    ("password in a URL", re.compile(r"://[^\s:/@\"']*:(?P<v>[^\s:/@\"']{8,})@"), _value),
]
_BEARER: _Rule = ("bearer token", re.compile(r"earer(?<=\b[Bb]earer)[ \t]+(?P<v>[\w.~+/-]{20,}=*)"), _key)

#: Secret-looking names: the last word, or the last two, of an identifier (``DB_PASSWORD``, ``apiKey``).
_SECRET_WORDS = frozenset("secret token password passwd pwd passphrase credential credentials".split())
_SECRET_WORDS |= {"apikey", "secretkey", "privatekey", "accesskey", "authtoken", "accesstoken"}
_SECRET_PAIRS = frozenset("api secret private access auth signing encryption master app".split())
#: Words before the last that make it a tokenizer's, a paginator's or an idempotency token, not a credential.
_NOT_CREDENTIAL = frozenset(
    "eos bos pad unk sep cls mask special page next continuation input output per request action csrf xsrf".split()
)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
#: The end of a secret-looking name (the search starts there: a character class is faster than ``(?i)``).
_KEYWORD = re.compile(r"[KkSsTtPpCc](?i:ey|ecret|oken|assw(?:or)?d|wd|assphrase|redentials?)(?![\w.-])")
_VALUE = (  # a quoted value, or a bare one (no brackets: ``Optional[str]``, ``get()`` are code)
    r"""[ \t]*(?:(?P<q>["'`])(?P<quoted>[^"'`\s\\]{8,200})(?P=q)"""
    r"""|(?P<bare>[^\s"'`,;#()\[\]{}<>][^\s"'`,;()\[\]{}<>]{7,199})(?=[\s,;]|$))"""
)
_AFTER_QUOTED_NAME = re.compile(r"""["'][ \t]*(?P<op>=>|:|=(?!=))""" + _VALUE)  # "NAME": …, 'NAME' => …
_AFTER_NAME = re.compile(r"[ \t]*(?::[ \t]*[\w\[\].|]+[ \t]*)?(?P<op>=(?![=~])|:=|=>|:(?!:))" + _VALUE)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_XML = re.compile(r"<(?P<name>[\w.-]*(?i:password|secret|token|api[_-]?key))>(?P<v>[^<\s]{8,200})</")
#: Programming languages: only quoted values count there (``token = get_token()`` is code, not a secret).
_CODE = frozenset(
    ".py .pyi .ipynb .js .mjs .cjs .jsx .ts .tsx .go .rs .java .kt .kts .scala .groovy .c .h .cc .cpp .hpp .cs .rb"
    " .php .swift .m .mm .lua .pl .r .dart .ex .exs .erl .hs .clj .vue .svelte .sql .css .scss .sass .less".split()
)
#: Prose: no bearer rule (documentation shows example headers).
_DOCS = frozenset(".md .markdown .rst .txt .adoc .html .htm .org .tex".split())


def _secret_name(name: str) -> bool:
    words = [w.lower() for w in _WORD.findall(name)]
    if not words or (len(words) > 1 and words[-2] in _NOT_CREDENTIAL):
        return False
    return words[-1] in _SECRET_WORDS or (words[-1] == "key" and len(words) > 1 and words[-2] in _SECRET_PAIRS)


def _assignment(text: str, keyword: re.Match[str], suffix: str) -> str | None:
    """The kind of secret assigned to the name ending at ``keyword`` (``None`` when there is none)."""
    start = keyword.start()
    while start > 0 and text[start - 1] in _NAME_CHARS and keyword.end() - start < 60:
        start -= 1
    name = text[start : keyword.end()]
    quoted = start > 0 and text[start - 1] in "\"'"
    match = (_AFTER_QUOTED_NAME if quoted else _AFTER_NAME).match(text, keyword.end())
    if match is None or not _secret_name(name):
        return None
    if not quoted and match["op"] == ":" and suffix in (".py", ".pyi"):
        return None  # ``name: "Type"`` is an annotation in Python
    value = match["quoted"] or (match["bare"] if suffix not in _CODE else None)
    if not value or not _value(value):
        return None
    if re.fullmatch(r"(?i)aws_?secret_?(?:access_?)?key", name):
        return "AWS secret access key"
    return f"high-entropy value assigned to '{name}'"


def find_secrets(text: str, *, path: Path | str | None = None, limit: int = MAX_FINDINGS) -> list[SecretFinding]:
    """The first ``limit`` lines of ``text`` holding a secret, with the kind of each (one per line).

    ``path`` (only its suffix is used) tells code from configuration: in code only quoted values
    assigned to secret-looking names count, and ``Bearer …`` counts only outside code and prose.
    """
    suffix = PurePath(path).suffix.lower() if path is not None else ""
    rules = [*_PROVIDER_RULES, *([] if suffix in _CODE or suffix in _DOCS else [_BEARER])]
    found: dict[int, str] = {}  # line: kind

    def scan(pattern: re.Pattern[str], kind: Callable[[re.Match[str]], str | None]) -> None:
        """Record the first ``limit`` lines ``pattern`` reports (later ones cannot be among the first)."""
        lines: set[int] = set()
        for match in pattern.finditer(text):
            name = kind(match)
            if name is not None:
                line = text.count("\n", 0, match.start()) + 1
                found.setdefault(line, name)
                lines.add(line)
                if len(lines) >= limit:
                    return

    for rule in rules:
        scan(rule[1], _checker(rule))
    scan(_KEYWORD, lambda m: _assignment(text, m, suffix))
    scan(_XML, lambda m: f"high-entropy value in <{m['name']}>" if _value(m["v"]) else None)
    return [SecretFinding(line, kind) for line, kind in sorted(found.items())[:limit]]


def _checker(rule: _Rule) -> Callable[[re.Match[str]], str | None]:
    kind, _, check = rule
    return lambda match: kind if check(match["v"]) else None


def describe_findings(findings: list[SecretFinding]) -> str:
    """``"line 3: OpenAI API key; line 9: private key block"`` (``"; …"`` appended when more may exist)."""
    more = "; …" if len(findings) >= MAX_FINDINGS else ""
    return "; ".join(str(f) for f in findings) + more


def withheld_reason(findings: list[SecretFinding]) -> str:
    """Why a file holding secrets is withheld: where they are and their kinds, never the secrets."""
    return (
        f"withheld whole: contains a secret ({describe_findings(findings)}); nothing of this file is sent. "
        "Move the secret out of the file, or paste the parts you need into the prompt"
    )
