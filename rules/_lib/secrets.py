"""Secret detection shared by the secrets rules: sensitive names, credential formats, placeholders.

Nothing here returns or formats a secret value: callers get a kind ("PEM private key"), a name or a
boolean, so a finding message can never leak what it found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

# --- names -----------------------------------------------------------------------------------------

SENSITIVE_WORDS = frozenset(
    {"PASSWORD", "PASSWD", "PASSPHRASE", "SECRET", "SECRETS", "TOKEN", "APIKEY", "CREDENTIAL", "CREDENTIALS",
     "PRIVATEKEY", "BEARER", "SECRETKEY", "ACCESSKEY", "CLIENTSECRET"}
)  # fmt: skip
LAST_ONLY_WORDS = frozenset({"PASS", "PWD", "PW"})
"""Sensitive only as the final word (DB_PASS, REDIS_PWD); PASS_THROUGH and plain PWD are not."""
KEY_QUALIFIERS = frozenset(
    {"API", "PRIVATE", "SECRET", "ACCESS", "ENCRYPTION", "SIGNING", "MASTER", "AUTH", "CLIENT", "SSH", "HMAC",
     "LICENSE", "CRYPT", "CIPHER", "SESSION", "WEBHOOK"}
)  # fmt: skip
NOT_SECRET_LAST = frozenset(
    {"FILE", "FILES", "PATH", "DIR", "URL", "URI", "ENDPOINT", "HOST", "HOSTNAME", "PORT", "NAME", "NAMES", "REF",
     "TTL", "TIMEOUT", "EXPIRY", "EXPIRES", "EXPIRATION", "LIFETIME", "DURATION", "AGE", "LENGTH", "LEN", "MIN",
     "MAX", "POLICY", "HEADER", "TYPE", "ENABLED", "ENABLE", "DISABLED", "DISABLE", "REQUIRED", "ID", "USER",
     "USERNAME", "LOGIN", "LOCATION", "FIELD", "PROVIDER", "METHOD", "ALGORITHM", "ALG", "VERSION", "ROTATION",
     "INTERVAL", "MODE", "FORMAT", "COUNT", "SIZE", "AUDIENCE", "ISSUER", "SCOPE", "SCOPES", "KIND", "PREFIX",
     "SUFFIX", "NAMESPACE", "MOUNT", "VOLUME", "HASH", "HASHED", "STRENGTH", "REGEX", "PATTERN", "SOURCE", "STORE",
     "BACKEND", "KEYS", "SECRETS", "SELECTOR", "LABEL", "ANNOTATION", "RESET", "CHANGE", "CHECK", "VALIDATION", "AUTO",
     "REFRESH", "RENEW", "GENERATE", "GENERATOR", "SHA", "CHECKSUM", "RELOAD", "EXISTING", "SECRETNAME"}
)  # fmt: skip
ALWAYS_SENSITIVE = (
    re.compile(r"(?i)^AWS_SECRET_ACCESS_KEY$"),
    re.compile(r"(?i)^AZURE_.+KEY$"),
    re.compile(r"(?i)^OCI_CLI_KEY_CONTENT$"),
)

_NAME_HINT = re.compile(r"(?i)pass|pw|secret|token|key|credential|bearer")
"""Every sensitive name holds one of these (see _is_sensitive_name)."""
_COMPOUND = re.compile(r"PASSWORD|PASSWD|.(SECRET|TOKEN|APIKEY)$")  # PGPASSWORD, KUBETOKEN; not TOKENIZER
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def words(name: str) -> list[str]:
    """`dbPassword` / `DB_PASSWORD` / `db-password` -> ['DB', 'PASSWORD']."""
    return [w.upper() for w in _SPLIT.split(_CAMEL.sub("_", name)) if w]


def _is_sensitive_name(name: str, extra: tuple[str, ...]) -> bool:
    if any(p.search(name) for p in ALWAYS_SENSITIVE):
        return True
    if any(re.search(p, name, re.IGNORECASE) for p in extra):
        return True
    parts = words(name)
    if not parts or parts[-1] in NOT_SECRET_LAST:
        return False
    if parts[-1] in LAST_ONLY_WORDS and len(parts) > 1:
        return True
    if any(p in SENSITIVE_WORDS or _COMPOUND.search(p) for p in parts):
        return True
    pairs = ["".join(parts[i : i + 2]) for i in range(len(parts) - 1)]
    if any(p in SENSITIVE_WORDS for p in pairs):
        return True
    return any(parts[i] in KEY_QUALIFIERS and parts[i + 1] == "KEY" for i in range(len(parts) - 1))


# --- values ----------------------------------------------------------------------------------------

PLACEHOLDERS = frozenset(
    {"changeme", "change-me", "change_me", "changeit", "replaceme", "replace-me", "replace_me", "todo", "tbd",
     "none", "null", "nil", "<nil>", "false", "true", "yes", "no", "on", "off", "redacted", "dummy", "placeholder",
     "example", "notset", "not-set", "unset", "undefined", "empty", "akiaiosfodnn7example",
     "wjalrxutnfemi/k7mdeng/bpxrficyexamplekey"}
)  # fmt: skip
_PLACEHOLDER_SHAPES = (
    re.compile(r"^[xX*#.?_-]+$"),  # xxx, ***, ...
    re.compile(r"^<[^<>]*>$"),  # <password>
    re.compile(r"^\$\([A-Za-z_][A-Za-z0-9_]*\)$"),  # $(VAR): Kubernetes env expansion
    re.compile(r"^\$\{[^}]*\}$"),  # ${VAR}: envsubst / shell
    re.compile(r"^\$[A-Za-z_][A-Za-z0-9_]*$"),  # $VAR
    re.compile(r"\{\{.*\}\}", re.S),  # unrendered Helm / Jinja
    re.compile(r"^%\([^)]*\)s$"),  # %(var)s
    re.compile(r"(?i)^(your|my|some|insert|enter|put|replace)[-_ ]"),  # your-password-here
    re.compile(r"(?i)^change[-_ ]?(me|it)"),  # CHANGEME00000000
    re.compile(r"(?i)^ENC\[.*\]$", re.S),  # SOPS inline-encrypted value
    re.compile(r"(?i)^(vault|ref\+[a-z0-9]+|sm|op|akv|azkv|gcpsm|awssm|secret|k8s|env|file)://"),  # references
    re.compile(r"^arn:aws[a-z-]*:(secretsmanager|ssm):"),
    re.compile(r"^projects/[^/\s]+/secrets/"),  # GCP Secret Manager name
    re.compile(r"^/[\w.@/-]*$"),  # a file path (/run/secrets/db-password)
    re.compile(r"^\d{1,6}$"),  # small numbers: ports, sizes, timeouts
)
_PASSWORD_HASH = re.compile(r"^(\$pbkdf2-|\$2[aby]\$|\$argon2|\$[156]\$|\{S?SHA[0-9]*\}|\$apr1\$|\$scrypt\$)")
_K8S_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_URL_NO_CREDENTIALS = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^@\s]*$")


@dataclass(frozen=True, slots=True)
class CredentialFormat:
    kind: str
    pattern: re.Pattern[str]
    hints: tuple[str, ...]
    """Substrings every match contains: a value without any of them skips the regex (fast on big values)."""


CREDENTIAL_FORMATS: tuple[CredentialFormat, ...] = (
    CredentialFormat(
        "a PEM private key", re.compile(r"(?i)-{3,}\s*BEGIN\s+[A-Z0-9 ]*PRIVATE\s+KEY(\s+BLOCK)?\s*-{3,}"), ("---",)
    ),
    CredentialFormat(
        "an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)(?!IOSFODNN7EXAMPLE)[A-Z0-9]{16}\b"), ("AKIA", "ASIA")
    ),
    CredentialFormat(
        "a GitHub token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b"),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    CredentialFormat("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"), ("xox",)),
    CredentialFormat(
        "a GCP service-account private key", re.compile(r'"private_key"\s*:\s*"[^"]{40,}"'), ('"private_key"',)
    ),
    CredentialFormat("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), ("AIza",)),
    CredentialFormat("a Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}\b"), ("k_live_",)),
    CredentialFormat(
        "a JSON Web Token",
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
        ("eyJ",),
    ),
)
_ANY_HINT = re.compile("|".join(re.escape(h) for fmt in CREDENTIAL_FORMATS for h in fmt.hints))

_URL_USERINFO = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@'\"]*:([^\s/@'\"]+)@[^\s/'\"]")
_INLINE_PASSWORD = re.compile(r"(?i)(?:^|[;\s,?&])(?:password|passwd|pwd)\s*=\s*([^;\s,&'\"]+)")


@dataclass(frozen=True)
class Detector:
    """Built from a rule's options; every check returns a kind or a bool, never the value."""

    extra_name_patterns: tuple[str, ...] = ()
    allowed_values: tuple[str, ...] = ()

    def sensitive_name(self, name: str) -> bool:
        return _sensitive_name_cached(name, self.extra_name_patterns)

    def is_placeholder(self, value: str) -> bool:
        text = value.strip().strip("'\"").strip()
        if not text:
            return True
        lowered = text.lower()
        if (
            lowered in PLACEHOLDERS
            or text in self.allowed_values
            or lowered in (v.lower() for v in self.allowed_values)
        ):
            return True
        return any(p.search(text) for p in _PLACEHOLDER_SHAPES)

    def not_a_secret_value(self, name: str, value: str) -> bool:
        """Values that cannot be the secret itself even under a sensitive name."""
        text = value.strip().strip("'\"").strip()
        if self.is_placeholder(text) or _PASSWORD_HASH.match(text):
            return True
        if words(text) == words(name):
            return True  # HF_TOKEN: "HF_TOKEN", a template nobody filled in
        if _URL_NO_CREDENTIALS.match(text):
            return True  # https://vault.example.com, no credentials in it
        parts = words(name)
        # FOO_SECRET: odoo-db-credentials -> the name of a Secret, not its value
        return bool(parts and parts[-1] in ("SECRET", "SECRETS") and "-" in text and _K8S_NAME.match(text))

    def might_name_a_secret(self, text: str) -> bool:
        """False when no key inside `text` can be a sensitive name: a fast test before parsing a document."""
        return bool(self.extra_name_patterns) or _NAME_HINT.search(text) is not None

    def might_hold_credential(self, value: str) -> bool:
        """False when neither credential_format nor embedded_password can find anything (a fast test)."""
        return "@" in value or "=" in value or _ANY_HINT.search(value) is not None

    def credential_format(self, value: str) -> str | None:
        """The kind of known credential format found in the value (PEM key, AWS key id, ...)."""
        if _ANY_HINT.search(value) is None:  # most values: one C-level search and done
            return None
        for fmt in CREDENTIAL_FORMATS:
            if any(hint in value for hint in fmt.hints) and fmt.pattern.search(value):
                return fmt.kind
        return None

    def embedded_password(self, value: str) -> str | None:
        """A URL with a password in it, or `password=...` inside a connection string."""
        if "@" not in value and "=" not in value:
            return None
        for match in _URL_USERINFO.finditer(value):
            if not self.is_placeholder(match.group(1)):
                return "a URL with an embedded password"
        for match in _INLINE_PASSWORD.finditer(value):
            if not self.is_placeholder(match.group(1)) and not _PASSWORD_HASH.match(match.group(1)):
                return "a connection string with a password"
        return None

    def literal_secret(self, name: str, value: str) -> str | None:
        """Why `name: value` is a literal secret ("by name", or a format kind), or None."""
        if not isinstance(value, str):
            return None
        kind = self.credential_format(value)
        if kind:
            return kind
        if self.sensitive_name(name) and not self.not_a_secret_value(name, value):
            return "a sensitive name"
        return self.embedded_password(value)


@lru_cache(maxsize=4096)
def _sensitive_name_cached(name: str, extra: tuple[str, ...]) -> bool:
    return _is_sensitive_name(name, extra)


# --- config-file content (odoo.conf, .env, properties, YAML, JSON) ---------------------------------

_SETTING = re.compile(
    r"""^\s*(?:export\s+)?["']?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)["']?\s*(?:=|:(?!//))\s*(?P<value>.*?)\s*,?\s*$"""
)


_EXPRESSION = re.compile(r"[\s()\[\]{}|>]|^(os|self|process|env|config|settings)\.")


def settings(text: str) -> Iterator[tuple[int, str, str]]:
    """(line number from 1, key, value) for `key = value`, `key: value`, `"key": "value"` lines."""
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";", "//", "[")):
            continue
        match = _SETTING.match(line)
        if match:
            value = match.group("value")
            if " #" in value:
                value = value.split(" #", 1)[0]
            yield number, match.group("key"), value.strip().strip("'\"")


def secret_settings(detector: Detector, text: str) -> list[tuple[int, str, str]]:
    """(line, key, why) of the settings in a config file that hold literal secrets."""
    found = []
    for number, key, value in settings(text):
        if not value or _EXPRESSION.search(value):
            continue  # block scalars, lists, code such as token=os.environ["HF_TOKEN"]
        if detector.sensitive_name(key) and not detector.not_a_secret_value(key, value):
            found.append((number, key, "a sensitive name"))
    return found


def describe(names: Iterable[str]) -> str:
    return ", ".join(sorted(set(names)))
