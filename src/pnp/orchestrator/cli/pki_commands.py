"""``pnp pki ...``: the factory PKI in one command each (``orchestrator.security.pki``).

::

    pnp pki init --dir /etc/pnp/pki                     the factory CA
    pnp pki issue orchestrator --host factory.lan       the orchestrator (gRPC + OPC UA)
    pnp pki issue module laser-7 --host 10.0.4.17       a module (gRPC + OPC UA server)
    pnp pki issue planner anna                          a planner (the CLI, the console)
    pnp pki issue planner vera --role viewer            one who may only look
    pnp pki revoke laser-7                              laser-7's certificate: refused from now
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from pnp.orchestrator.cli.app import cli, json_option
from pnp.orchestrator.cli.output import console, emit_json, styled
from pnp.orchestrator.cli.tls_options import ENV_TLS_DIR
from pnp.orchestrator.security import pki, revocation
from pnp.orchestrator.security.identities import Identity, PlannerRole, Role
from pnp.orchestrator.security.tls_files import DEFAULT_ORCHESTRATOR_NAME

DEFAULT_DIR = "pnp-pki"

dir_option = click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get(ENV_TLS_DIR, DEFAULT_DIR),
    show_default=f"${ENV_TLS_DIR} or ./{DEFAULT_DIR}",
    help="The factory PKI directory.",
)
force_option = click.option("--force", is_flag=True, help="Replace existing files.")


def days_option(default: int):
    return click.option(
        "--days",
        default=default,
        show_default=True,
        type=click.IntRange(min=1),
        help="Days the certificate stays valid.",
    )


hosts_option = click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="NAME|IP",
    help="Host name or IP address the server is reached at (repeatable); "
    f"default: {', '.join(pki.DEFAULT_HOSTS)}.",
)


@cli.group("pki")
def pki_group() -> None:
    """Create the factory CA and issue certificates to modules, planners, the orchestrator."""


@pki_group.command("init")
@dir_option
@click.option(
    "--name",
    default="pnp factory CA",
    show_default=True,
    help="The CA's name: other factories see it on passports and signed data.",
)
@days_option(pki.CA_VALID_DAYS)
@force_option
@json_option
def init(directory: Path, name: str, days: int, force: bool, as_json: bool) -> None:
    """Create the factory CA (ca.pem, and ca.key readable by you only)."""
    files = pki.init_ca(directory, name=name, valid_days=days, force=force)
    _report("factory CA", files, as_json)


@pki_group.group("issue")
def issue() -> None:
    """Issue a key and a certificate signed by the factory CA."""


@issue.command("module")
@click.argument("module_id")
@dir_option
@hosts_option
@days_option(pki.DEFAULT_VALID_DAYS)
@force_option
@json_option
def issue_module(module_id, directory, hosts, days, force, as_json) -> None:
    """For module MODULE_ID: its gRPC client identity and its OPC UA server certificate."""
    _issue(Identity(Role.MODULE, module_id), directory, hosts, days, force, as_json)


@issue.command("planner")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice([r.value for r in PlannerRole]),
    default=PlannerRole.PLANNER.value,
    show_default=True,
    help="viewer: read only; planner: also submit, cancel, drain and what-if; "
    "admin: also PKI and cluster operations.",
)
@dir_option
@days_option(pki.DEFAULT_VALID_DAYS)
@force_option
@json_option
def issue_planner(name, role, directory, days, force, as_json) -> None:
    """For planner NAME: calls to pnp.v1.Orchestrator (the pnp CLI, scripts, buf curl)
    and the web console, with what its role allows."""
    _issue(Identity(Role.PLANNER, name), directory, (), days, force, as_json, PlannerRole(role))


@issue.command("orchestrator")
@click.argument("name", default=DEFAULT_ORCHESTRATOR_NAME)
@dir_option
@hosts_option
@days_option(pki.DEFAULT_VALID_DAYS)
@force_option
@json_option
def issue_orchestrator(name, directory, hosts, days, force, as_json) -> None:
    """For the orchestrator: its gRPC server and its OPC UA client certificate."""
    _issue(Identity(Role.ORCHESTRATOR, name), directory, hosts, days, force, as_json)


@pki_group.command("revoke")
@click.argument("what", metavar="NAME|SERIAL")
@dir_option
@click.option(
    "--tls-dir",
    "tls_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Same as --dir (the name pnp serve and the other commands use).",
)
@json_option
def revoke(what: str, directory: Path, tls_dir: Path | None, as_json: bool) -> None:
    """Revoke the certificate of NAME (a module, planner or orchestrator) or with serial
    SERIAL (hex): it goes on the CRL (crl.pem, beside ca.pem, signed by the CA).

    A running orchestrator reads the CRL again when it changes: a revoked module's
    session is cut and it is lost within one lease; a revoked planner is refused at its
    next call. Copy crl.pem to other machines whose folders hold the CA (modules, the
    console) so they refuse the certificate too.
    """
    revoked = revocation.revoke(tls_dir or directory, what)
    serial = revocation.format_serial(revoked.serial)
    if as_json:
        emit_json(
            {
                "serial": serial,
                "subject": revoked.subject or None,
                "crl": str(revoked.crl),
                "already_revoked": revoked.already,
            }
        )
        return
    whose = f"{revoked.subject}, serial {serial}" if revoked.subject else f"serial {serial}"
    state = "was already revoked" if revoked.already else "revoked"
    console.print(styled((whose, "bold"), f" {state}: {revoked.crl}"), soft_wrap=True)


def _issue(identity, directory, hosts, days, force, as_json, role=None) -> None:
    files = pki.issue(
        directory,
        identity,
        hosts=hosts or pki.DEFAULT_HOSTS,
        valid_days=days,
        force=force,
        role=role,
    )
    what = f"{identity} ({identity.uri})" if role is None else f"{identity}, {role.value}"
    _report(what, files, as_json, role)


def _report(
    what: str, files: pki.IssuedFiles, as_json: bool, role: PlannerRole | None = None
) -> None:
    if as_json:
        emit_json(
            {"certificate": str(files.certificate), "key": str(files.key)}
            | ({"role": role.value} if role else {})
        )
        return
    console.print(
        styled("issued ", (what, "bold"), f": {files.certificate}, key {files.key}"),
        soft_wrap=True,
    )
