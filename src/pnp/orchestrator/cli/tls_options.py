"""The TLS options every networked command shares, and how they pick the files to use.

``--tls-dir D`` (or ``$PNP_TLS_DIR``) names a factory PKI directory: each command takes
the CA and its own certificate from it (``serve`` the orchestrator's, ``module run``
the module's, planner commands the planner's: the only one there, or ``--planner``).
``--ca``/``--cert``/``--key`` (``$PNP_TLS_CA``/``_CERT``/``_KEY``) name files directly
and win over the directory. Neither given: plain text, for local development only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.security.identities import Identity, Role
from pnp.orchestrator.security.pki import PkiDirectory
from pnp.orchestrator.security.tls_files import (
    TlsFiles,
    checked,
    files_in_directory,
    the_only_planner,
)

ENV_TLS_DIR = "PNP_TLS_DIR"
ENV_PLANNER = "PNP_PLANNER"

_PATH = click.Path(dir_okay=False, path_type=Path)


@dataclass(frozen=True)
class TlsChoice:
    """What the user asked for, before any file is looked at."""

    tls_dir: Path | None = None
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    @property
    def wanted(self) -> bool:
        return any((self.tls_dir, self.ca, self.cert, self.key))

    def files_for(self, identity: Identity | None) -> TlsFiles | None:
        """The checked files for ``identity`` (None: work it out from the directory)."""
        if not self.wanted:
            return None
        from_dir = files_in_directory(self.tls_dir, identity) if self.tls_dir and identity else None
        ca = self.ca or (PkiDirectory(self.tls_dir).ca_certificate if self.tls_dir else None)
        cert = self.cert or (from_dir.certificate if from_dir else None)
        key = self.key or (from_dir.key if from_dir else None)
        if ca is None or cert is None or key is None:
            raise BadInput(
                "incomplete TLS options",
                [Violation("tls", "give --tls-dir, or all of --ca, --cert and --key")],
            )
        files = TlsFiles(ca, cert, key)
        found = checked(files)
        if identity is not None and found != identity:
            raise BadInput(
                f"{cert} is the certificate of {found}, not of {identity}",
                [Violation("cert", f"use the certificate issued to {identity}")],
            )
        return files

    def planner_files(self, planner: str | None) -> TlsFiles | None:
        if not self.wanted:
            return None
        if planner:
            return self.files_for(Identity(Role.PLANNER, planner))
        if self.cert is not None or self.tls_dir is None:
            return self.files_for(None)  # explicit files (or an incomplete set: refused)
        return self.files_for(the_only_planner(self.tls_dir))


def tls_options(command):
    """Adds --tls-dir, --ca, --cert and --key (with their environment variables)."""
    options = [
        click.option(
            "--tls-dir",
            type=click.Path(file_okay=False, path_type=Path),
            envvar=ENV_TLS_DIR,
            help=f"Factory PKI directory (from `pnp pki`); ${ENV_TLS_DIR}. Turns mutual TLS on.",
        ),
        click.option("--ca", type=_PATH, envvar="PNP_TLS_CA", help="Factory CA certificate."),
        click.option("--cert", type=_PATH, envvar="PNP_TLS_CERT", help="Our certificate."),
        click.option("--key", type=_PATH, envvar="PNP_TLS_KEY", help="Our private key."),
    ]
    for option in reversed(options):
        command = option(command)
    return command
