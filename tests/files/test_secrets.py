"""Secrets are withheld whole, by file name and by content; ordinary code is not (real files in tmp_path).

Key-shaped values are generated at run time, so this file holds no key-shaped literal itself.
"""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

import pytest

from zen_core.context.files import fit_files, is_secret, resolve_paths
from zen_core.context.secrets import find_secrets, shannon_entropy

ALNUM = string.ascii_letters + string.digits


def rand(n: int, alphabet: str = ALNUM, seed: int = 7) -> str:
    """A fixed pseudo-random string (a key body no test fixture would write by hand)."""
    rng = random.Random(f"{seed}-{n}-{alphabet}")
    return "".join(rng.choice(alphabet) for _ in range(n))


B64 = ALNUM + "+/"
UPPER_DIGITS = string.ascii_uppercase + string.digits
HEX = "0123456789abcdef"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "root"
    base.mkdir()
    return base.resolve()


def write(root: Path, rel: str, content: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    return path


# -- secret file names -------------------------------------------------------------------------
NEW_SECRET_NAMES = [
    ".env~",
    ".env_backup",
    ".env.local~",
    "id_rsa_old",
    "id_ed25519~",
    "terraform.tfstate",
    "prod.tfstate.backup",
    "kubeconfig",
    "staging.kubeconfig",
    ".kube/config",
    ".kube/config.bak",
    "wp-config.php",
    ".claude.json",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".codex/config.toml",
    ".codex/auth.json",
    ".cursor/mcp.json",
    ".gemini/settings.json",
    ".mcp.json",
    ".bash_history",
    ".zsh_history",
    ".python_history",
    ".psql_history",
    ".mysql_history",
    ".node_repl_history",
    "credentials.json.bak",
]


@pytest.mark.parametrize("name", NEW_SECRET_NAMES)
def test_more_secret_file_names_are_refused(root: Path, name: str) -> None:
    path = write(root, name, "nothing secret-looking inside\n")
    accepted, refused = resolve_paths([str(path)], allowed_roots=[root])
    assert accepted == []
    assert [(r.path, r.kind) for r in refused] == [(str(path), "secret")]


@pytest.mark.parametrize(
    "name",
    [
        "kubeconfig.go",
        "kubeconfig_test.py",
        "wp-config-sample.php",
        "settings.json",
        ".vscode/settings.json",
        "history.py",
        "bash_history_parser.py",
        "mcp.json",
        "tfstate.go",
        "environment.ts",
        "main.py.bak",
        "old_notes.md",
    ],
)
def test_similar_ordinary_names_are_not_secrets(name: str) -> None:
    assert is_secret(f"/src/project/{name}") is None


# -- secrets in contents -----------------------------------------------------------------------
OPENAI = "sk-proj-" + rand(48, ALNUM + "_-")
OPENAI_LEGACY = "sk-" + rand(48)
ANTHROPIC = "sk-ant-api03-" + rand(93, ALNUM + "_-") + "AA"
GOOGLE = "AIza" + rand(35, ALNUM + "_-")
AWS_ID = "AKIA" + rand(16, UPPER_DIGITS)
AWS_SECRET = rand(40, B64)
GITHUB = "ghp_" + rand(36)
GITHUB_PAT = "github_pat_" + rand(22) + "_" + rand(59)
SLACK = "xoxb-" + rand(12, string.digits) + "-" + rand(13, string.digits) + "-" + rand(24)
STRIPE = "sk_live_" + rand(24)
BEARER = rand(40, ALNUM + "._-")
PEM_BODY = "\n".join(rand(64, B64, seed=i) for i in range(4))
PASSWORD = rand(20, ALNUM + "!@#%")
DJANGO = "django-insecure-" + rand(50, ALNUM + "!@#%^&*(-_=+)")

CASES = [
    # (file name, content, secret, line, words in the kind)
    ("client.py", f'import openai\n\nclient = openai.OpenAI(api_key="{OPENAI}")\n', OPENAI, 3, "OpenAI"),
    ("notes.md", f"old key: {OPENAI_LEGACY}\n", OPENAI_LEGACY, 1, "OpenAI"),
    ("agent.ts", f'const x = 1;\nconst c = new Anthropic({{ apiKey: "{ANTHROPIC}" }});\n', ANTHROPIC, 2, "Anthropic"),
    ("maps.js", f'const url = "https://maps.googleapis.com/api?key={GOOGLE}";\n', GOOGLE, 1, "Google"),
    ("deploy.sh", f"#!/bin/sh\nexport AWS_ACCESS_KEY_ID={AWS_ID}\n", AWS_ID, 2, "AWS access key"),
    ("aws.ini", f"[default]\nregion = eu-west-1\naws_secret_access_key = {AWS_SECRET}\n", AWS_SECRET, 3, "AWS secret"),
    ("ci.yml", f"steps:\n  - run: echo\n    env:\n      GH: {GITHUB}\n", GITHUB, 4, "GitHub"),
    ("push.py", f'TOKEN = "{GITHUB_PAT}"\n', GITHUB_PAT, 1, "GitHub"),
    ("bot.rb", f'client = Slack::Web::Client.new(token: "{SLACK}")\n', SLACK, 1, "Slack"),
    ("billing.go", f'package billing\n\nvar key = "{STRIPE}"\n', STRIPE, 3, "Stripe"),
    ("api.http", f"GET https://api.example.com/v1/me\nAuthorization: Bearer {BEARER}\n", BEARER, 2, "bearer"),
    ("settings.json", f'{{\n  "headers": {{"Authorization": "Bearer {BEARER}"}}\n}}\n', BEARER, 2, "bearer"),
    ("deploy.pem.txt", f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA", PEM_BODY, 1, "private key"),
    (
        "sa.json",
        json.dumps({"type": "service_account", "private_key": f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n"}, indent=1),
        PEM_BODY.replace("\n", "\\n"),
        3,
        "private key",
    ),
    ("id_key.txt", f"\n\n-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}\n", PEM_BODY, 3, "private key"),
    ("config.py", f'DEBUG = False\nAPI_KEY = "{rand(32)}"\n', rand(32), 2, "API_KEY"),
    ("db.yaml", f"db:\n  host: db.internal\n  password: {PASSWORD}\n", PASSWORD, 3, "password"),
    ("settings.py", f'SECRET_KEY = "{DJANGO}"\n', DJANGO, 1, "SECRET_KEY"),
    ("app.properties", f"spring.datasource.password={rand(16)}\n", rand(16), 1, "password"),
    ("pom-settings.xml", f"<server>\n  <password>{rand(18)}</password>\n</server>\n", rand(18), 2, "password"),
    ("worker.go", f'c := New(Config{{\n\tClientSecret: "{rand(40, HEX)}",\n}})\n', rand(40, HEX), 2, "ClientSecret"),
    ("db.env.sample", f"DATABASE_URL=postgres://app:{rand(20)}@db.internal/app\n", rand(20), 1, "password in a URL"),
]


@pytest.mark.parametrize(("name", "content", "secret", "line", "kind"), CASES, ids=[c[0] for c in CASES])
def test_a_file_containing_a_secret_is_withheld_whole(
    root: Path, name: str, content: str, secret: str, line: int, kind: str
) -> None:
    path = write(root, f"src/{name}", content)
    assert is_secret(path) is None  # an innocent name: only the content gives it away
    accepted, refused = resolve_paths([str(path)], allowed_roots=[root])
    assert accepted == []
    [refusal] = refused
    assert refusal.kind == "secret"
    assert f"line {line}" in refusal.reason
    assert kind.lower() in refusal.reason.lower()
    assert "withheld" in refusal.reason
    shown = json.dumps(refusal.as_dict())
    for fragment in [secret, *secret.split("\n")]:
        if len(fragment) >= 8:
            assert fragment not in shown


def test_files_found_by_expansion_are_scanned_too(root: Path) -> None:
    project = root / "project"
    write(project, "main.py", "print('hello')\n")
    write(project, "settings.py", f'OPENAI_API_KEY = "{OPENAI}"\n')
    accepted, refused = resolve_paths([str(project)], allowed_roots=[root])
    assert accepted == [project / "main.py"]
    assert [(r.path, r.kind, r.requested) for r in refused] == [(str(project / "settings.py"), "secret", False)]
    assert "line 1: OpenAI" in refused[0].reason


def test_a_secret_far_into_a_large_file_is_found(root: Path) -> None:
    path = write(root, "big.py", "x = 1\n" * 100_000 + f'token = "{GITHUB}"\n')
    accepted, refused = resolve_paths([str(path)], allowed_roots=[root])
    assert accepted == []
    assert "line 100001: GitHub" in refused[0].reason


def test_several_secrets_are_named_by_line(root: Path) -> None:
    path = write(root, "keys.txt", f"a\n{OPENAI}\nb\n{AWS_ID}\n")
    _, refused = resolve_paths([str(path)], allowed_roots=[root])
    assert "line 2: OpenAI" in refused[0].reason and "line 4: AWS access key" in refused[0].reason


def test_allow_secrets_lets_contents_through_too(root: Path) -> None:
    path = write(root, "client.py", f'api_key = "{OPENAI}"\n')
    accepted, refused = resolve_paths([str(path)], allowed_roots=[root], allow_secrets=True)
    assert accepted == [path]
    assert refused == []


def test_fit_files_withholds_a_file_whose_content_became_secret(root: Path) -> None:
    """The last gate before text leaves: a file checked clean that holds a secret when it is read."""
    clean, leaky = write(root, "clean.py", "x = 1\n"), write(root, "leaky.py", "y = 2\n")
    accepted, _ = resolve_paths([str(clean), str(leaky)], allowed_roots=[root])
    assert accepted == [clean, leaky]
    leaky.write_text(f'y = 2\nkey = "{ANTHROPIC}"\n')
    ctx = fit_files(accepted, budget_tokens=10_000, count_tokens=lambda t: len(t.split()))
    assert ctx.included == [str(clean)]
    [excluded] = ctx.excluded
    assert excluded.path == str(leaky)
    assert "line 2: Anthropic" in excluded.reason and "withheld" in excluded.reason
    assert ANTHROPIC not in ctx.text and ANTHROPIC not in excluded.reason
    allowed = fit_files(accepted, budget_tokens=10_000, count_tokens=lambda t: len(t.split()), allow_secrets=True)
    assert allowed.included == [str(clean), str(leaky)]


# -- no false positives ------------------------------------------------------------------------
ORDINARY = {
    "tokenizer.py": """
from transformers import AutoTokenizer

MAX_TOKENS = 4096
token_count = 3
tokenizer = AutoTokenizer.from_pretrained("meta-llama/Llama-3.1-8B-Instruct")
tokenizer.pad_token = tokenizer.eos_token
bos_token = "<|begin_of_text|>"
special_tokens = {"unk_token": "[UNK]", "sep_token": "[SEP]", "mask_token": "[MASK]"}
TOKEN_PATTERN = r"(?u)\\b\\w\\w+\\b"
for token in tokenizer.tokenize("hello world"):
    token_id = tokenizer.convert_tokens_to_ids(token)
password_field = "password"
secret_name = "my-tls-secret"
api_key = os.environ["OPENAI_API_KEY"]
self.token = token
if token == "DEDENT_TOKEN_XYZ":
    pass
""",
    "test_client.py": """
import pytest

API_KEY = "sk-..."
OPENAI_API_KEY = "your-api-key-here"
ANTHROPIC_API_KEY = "sk-ant-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
FAKE_KEY = "sk-test-1234567890abcdef"
token = "test-token"
password = "password123"
password = "hunter2"
client = Client(api_key="<YOUR_API_KEY>", secret="changeme")
aws_key = "AKIAIOSFODNN7EXAMPLE"
aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
headers = {"Authorization": f"Bearer {token}"}
GOOGLE_KEY = "AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
github = "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
""",
    "README.md": """
# Setup

Export your key: `export OPENAI_API_KEY=sk-...` and `ANTHROPIC_API_KEY=sk-ant-...`.
Set `password: <your password>` in config.yaml, then call with `Authorization: Bearer $TOKEN`.
The token: the value returned by the login call.
""",
    "package-lock.json": json.dumps(
        {
            "packages": {
                f"node_modules/pkg{i}": {
                    "version": "1.0.0",
                    "resolved": f"https://registry.npmjs.org/pkg{i}/-/pkg{i}-1.0.0.tgz",
                    "integrity": "sha512-" + rand(86, B64, seed=i) + "==",
                }
                for i in range(200)
            }
        },
        indent=2,
    ),
    "poetry.lock": "".join(
        f'[[package]]\nname = "pkg{i}"\nfiles = [{{file = "pkg{i}.whl", hash = "sha256:{rand(64, HEX, seed=i)}"}}]\n'
        for i in range(200)
    )
    + f'\n[metadata]\ncontent-hash = "{rand(64, HEX)}"\n',
    "Cargo.lock": "".join(f'[[package]]\nname = "c{i}"\nchecksum = "{rand(64, HEX, seed=i)}"\n' for i in range(200)),
    "go.sum": "".join(f"example.com/m{i} v1.0.0 h1:{rand(43, B64, seed=i)}=\n" for i in range(200)),
    "deployment.yaml": """
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: app
          env:
            - name: API_KEY
              valueFrom:
                secretKeyRef:
                  name: app-secrets
                  key: api-key
            - name: DB_PASSWORD
              value: ${DB_PASSWORD}
""",
    "ci.yml": """
jobs:
  test:
    steps:
      - run: make test
        env:
          OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}
          token: ${{ github.token }}
""",
    "pem.py": """
PEM_HEADER = "-----BEGIN RSA PRIVATE KEY-----"
PEM_FOOTER = "-----END RSA PRIVATE KEY-----"

def is_private_key(text: str) -> bool:
    return "-----BEGIN PRIVATE KEY-----" in text or PEM_HEADER in text
""",
    "styles.css": ".sk-spinner-fading-circle-container { width: 40px; }\n.task-list-item-checkbox { margin: 0; }\n",
    "ids.py": f'REQUEST_ID = "{rand(32, HEX)}"\ncommit = "{rand(40, HEX)}"\n',
    "auth.ts": """
export async function login(password: string): Promise<string> {
  const token = await api.post("/login", { password });
  const apiKey = process.env.API_KEY;
  return token;
}
""",
    "config.yaml": "server:\n  port: 8080\n  token_ttl: 3600\n  password_min_length: 12\n  secret: true\n",
    "docs.txt": "Connect with postgres://user:password@localhost:5432/db or redis://:${REDIS_PASSWORD}@cache:6379\n",
    # Lines that fooled earlier versions of the rules, from real packages:
    "bundle.min.js": 'g=d(u?"onboarding.formBody.resetPassword":"onboarding.formBody.signUp");'
    'console.error("Error creating SCIM token:",e),h.f.fromError(d("adminPanel.scim"));'
    'let Q={LiteLLM_VerificationToken:"logs.audit.tableNames.keys"};\n',
    "types.py": """
from typing import Final, Literal, Optional

ACCESS_KEY = 'AWSAccessKeyId'
COCOA = {'ACAccountCredential', 'ACAccountStore', 'ACAccountType'}
AzureApiKeyHeader = Literal["Authorization", "api-key", "Api-Key", "Ocp-Apim-Subscription-Key"]
_CONTINUATION_TOKEN: Final = "/v1beta1/projects/"


def sign(self, credentials: "Credentials", signing_key: "jwt.PyJWK", is_secret="DeprecatedArgument") -> None:
    api_key: Optional[str] = None
    KEYS = ["sk-proj-Abc123_def456-GHI789jkl012"]
    secret, env_secret = "sk-zen-config-key-4f9a8b7c6d5e", "sk-zen-env-key-0a1b2c3d4e5f"
""",
    "paginators.json": '{"input_token": "ExclusiveStartBackupArn", "output_token": "LastEvaluatedKey",'
    ' "input_cost_per_token": 1.25e-06}\n',
    "proxy.yaml": "general_settings:\n  master_key: os.environ/LITELLM_MASTER_KEY\n  api_key: Optional[str]\n",
    "visualizer.css": ".multi-token:hover::after { content: attr(data-token); }\n",
}


@pytest.mark.parametrize("name", sorted(ORDINARY))
def test_ordinary_files_are_not_withheld(root: Path, name: str) -> None:
    path = write(root, name, ORDINARY[name])
    accepted, refused = resolve_paths([str(path)], allowed_roots=[root])
    assert refused == []
    assert accepted == [path]


def test_find_secrets_reports_lines_and_kinds_only() -> None:
    findings = find_secrets(f"x = 1\nkey = '{GOOGLE}'\n", path="maps.py")
    assert [(f.line, f.kind) for f in findings] == [(2, "Google API key")]
    assert find_secrets("nothing here\n") == []


def test_shannon_entropy() -> None:
    assert shannon_entropy("") == 0.0
    assert shannon_entropy("aaaaaaaa") == 0.0
    assert shannon_entropy("abababab") == pytest.approx(1.0)
    assert shannon_entropy("abcdefgh") == pytest.approx(3.0)


def test_this_test_module_itself_is_not_withheld() -> None:
    """Placeholders and documented example keys (AWS's ...EXAMPLE) are not secrets."""
    assert find_secrets(Path(__file__).read_text(), path=__file__) == []


def test_fit_files_withholds_a_secret_file_name_too(root: Path) -> None:
    env = write(root, ".env", "DEBUG=1\n")
    ctx = fit_files([env], budget_tokens=1000, count_tokens=lambda t: len(t.split()))
    assert ctx.included == []
    assert ctx.excluded[0].reason.startswith("withheld whole: secret file (matches '.env')")
