"""Secrets are references in config, never plain text.

A secret field accepts ``env:NAME`` (an environment variable) or ``file:/path`` (a file
whose first line is the secret, e.g. a systemd credential or a Kubernetes secret mount).
Anything else is refused at load time, so a password typed into a YAML file never reaches
a commit, a log or a report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

SCHEMES = ("env", "file")


@dataclass(frozen=True, slots=True)
class SecretRef:
    scheme: str
    location: str

    def __str__(self) -> str:  # the reference is safe to show; the value never is
        return f"{self.scheme}:{self.location}"

    def resolve(self, environ: dict[str, str] | None = None) -> str:
        """The secret's value. Raises ``SecretUnavailable`` naming the reference, not the value."""
        if self.scheme == "env":
            env = os.environ if environ is None else environ
            if self.location not in env:
                raise SecretUnavailable(f"environment variable {self.location} is not set (secret {self})")
            return env[self.location]
        try:
            text = Path(self.location).read_text(encoding="utf-8")
        except OSError as exc:
            raise SecretUnavailable(f"cannot read secret file {self.location}: {exc.strerror}") from None
        return text.splitlines()[0] if text else ""


class SecretUnavailable(Exception):
    pass


def parse_secret_ref(value: Any) -> SecretRef:
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a secret reference such as env:NAME or file:/path")
    scheme, sep, location = value.partition(":")
    if not sep or scheme not in SCHEMES or not location:
        # Never echo the value: it is probably the password itself.
        raise ValueError("plain-text secrets are refused; write a reference instead: "
                         "env:VARIABLE_NAME or file:/path/to/secret")
    if scheme == "file" and not location.startswith("/"):
        raise ValueError("file: secret references need an absolute path (file:/etc/patrol/secret)")
    return SecretRef(scheme, location)


# The type to use for every secret field in config and inventory models.
Secret = Annotated[SecretRef, BeforeValidator(parse_secret_ref), PlainSerializer(str, return_type=str)]


def resolve_secret(ref: SecretRef | str) -> str:
    return (ref if isinstance(ref, SecretRef) else parse_secret_ref(ref)).resolve()
