"""The digital twin in the CLI (pnp.v1.DigitalTwin, ``orchestrator.twin``)::

pnp module aas ID --out FILE.aasx|FILE.json       the module's AAS (AASX or AAS JSON)
pnp usage --from T --to T --by module|vendor|order [--csv|--json]
pnp module passport export ID --out FILE           signed by this factory
pnp module passport import FILE                    verified against the trusted issuers
pnp order export-signed ID --out FILE --purpose P --recipient R --expires T
pnp order verify FILE [--trust CA.pem] [--recipient R] [--purpose P]
pnp pki trust CA.pem --name NAME                   trust another factory's passports
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import click
from basyx.aas.adapter import aasx
from basyx.aas.adapter.json import json_deserialization
from rich.table import Table

from pnp.orchestrator.cli.app import CliContext, cli, json_option
from pnp.orchestrator.cli.module_commands import module
from pnp.orchestrator.cli.order_commands import order
from pnp.orchestrator.cli.output import as_dict, console, emit_json
from pnp.orchestrator.cli.pki_commands import dir_option, pki_group
from pnp.orchestrator.cli.twin_client import ask_twin
from pnp.orchestrator.domain.yaml_source import read_text_capped
from pnp.orchestrator.errors import BadInput, Violation
from pnp.orchestrator.security.pki import PkiDirectory
from pnp.orchestrator.security.tls_files import TRUSTED_ISSUERS_FOLDER, trusted_issuer_files
from pnp.orchestrator.twin import signing
from pnp.orchestrator.twin.order_terms import ORDER_PACKAGE_KIND, check_terms, terms_of
from pnp.orchestrator.views.formats import write_atomically
from pnp.v1 import twin_pb2

MAX_DOCUMENT_BYTES = signing.MAX_SIGNED_BYTES
_GROUPINGS = {
    "module": twin_pb2.USAGE_GROUPING_MODULE,
    "vendor": twin_pb2.USAGE_GROUPING_VENDOR,
    "order": twin_pb2.USAGE_GROUPING_ORDER,
}
USAGE_COLUMNS = (
    "key",
    "vendor",
    "executing_hours",
    "idle_hours",
    "held_hours",
    "out_of_service_hours",
    "units",
    "energy_kwh",
    "cycles",
    "failures",
)


def parse_time(text: str, option: str) -> datetime:
    """An ISO-8601 time with a zone (``Z`` or ``+02:00``), or ``now``."""
    if text == "now":
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BadInput(
            f"{option} {text!r} is not a time with a zone",
            [Violation(option, "give ISO-8601 with a zone, e.g. 2026-12-01T08:00:00Z, or now")],
        )
    return moment


# -- the shell -------------------------------------------------------------------------


@module.command("aas")
@click.argument("module_id")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the shell: .aasx (AASX package) or .json (AAS JSON environment).",
)
@json_option
@click.pass_obj
def aas(obj: CliContext, module_id: str, out_file: Path, as_json: bool) -> None:
    """Export MODULE_ID's Asset Administration Shell: Nameplate, TechnicalData,
    Capabilities and OperationalData, as the orchestrator serves them."""
    suffix = out_file.suffix.lower()
    if suffix not in (".aasx", ".json"):
        raise BadInput(
            f"cannot tell the format of {out_file.name}",
            [Violation("--out", "name a .aasx or a .json file")],
        )
    environment = ask_twin(obj, lambda twin: twin.module_shell(module_id))
    # Read back with the library's own reader before writing: what we write is an AAS.
    objects = json_deserialization.read_aas_json_file(io.StringIO(environment), failsafe=False)
    shell_ids = [o.id for o in objects if type(o).__name__ == "AssetAdministrationShell"]

    def write(target: Path) -> None:
        if suffix == ".json":
            target.write_text(environment, encoding="utf-8")
            return
        with aasx.AASXWriter(target, failsafe=False) as writer:
            writer.write_aas(shell_ids, objects, aasx.DictSupplementaryFileContainer())

    write_atomically(out_file, write, "--out")
    summary = {
        "module_id": module_id,
        "file": str(out_file),
        "shells": shell_ids,
        "submodels": sorted(o.id for o in objects if o.id not in shell_ids),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"wrote {out_file}: {', '.join(shell_ids)}, {len(summary['submodels'])} submodels"
        )


# -- usage -----------------------------------------------------------------------------


@cli.command("usage")
@click.option("--from", "start", required=True, help="Period start (ISO-8601 with a zone).")
@click.option(
    "--to",
    "end",
    help="Period end (exclusive); default: the orchestrator's clock (its factory time).",
)
@click.option(
    "--by",
    type=click.Choice(sorted(_GROUPINGS)),
    default="module",
    show_default=True,
    help="One row per module, vendor or order.",
)
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (one row per key).")
@json_option
@click.pass_obj
def usage(
    obj: CliContext, start: str, end: str | None, by: str, as_csv: bool, as_json: bool
) -> None:
    """Metered use over a period: hours executing, idle, held and out of service; units
    processed; energy integrated from PowerKw telemetry; cycles and failures. The bill
    for leased modules."""
    begin = parse_time(start, "--from")
    finish = parse_time(end, "--to") if end else None
    response = ask_twin(obj, lambda twin: twin.usage(begin, finish, _GROUPINGS[by]))
    rows = [_usage_row(r) for r in response.rows]
    until = response.metered_until.ToDatetime(tzinfo=UTC)
    if as_json:
        emit_json(
            {
                "from": begin.isoformat(),
                "to": (finish or until).isoformat(),
                "metered_until": until.isoformat(),
                "by": by,
                "rows": rows,
            }
        )
    elif as_csv:
        writer = csv.DictWriter(sys.stdout, fieldnames=USAGE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        table = Table(title=f"usage by {by}, {begin.isoformat()} .. {until.isoformat()}")
        for column in ("key", "vendor", "executing h", "idle h", "held h", "out of service h"):
            table.add_column(column)
        for column in ("units", "energy kWh", "cycles", "failures"):
            table.add_column(column, justify="right")
        for row in rows:
            table.add_row(
                row["key"],
                row["vendor"],
                *(f"{row[c]:.3f}" for c in USAGE_COLUMNS[2:6]),
                str(row["units"]),
                f"{row['energy_kwh']:.3f}",
                str(row["cycles"]),
                str(row["failures"]),
            )
        console.print(table)


def _usage_row(row: twin_pb2.UsageRow) -> dict:
    plain = as_dict(row)
    return {
        column: int(plain[column]) if column in ("units", "cycles", "failures") else plain[column]
        for column in USAGE_COLUMNS
    }


# -- passports -------------------------------------------------------------------------


@module.group("passport")
def passport() -> None:
    """A module's signed passport: identity, capabilities, usage and history."""


@passport.command("export")
@click.argument("module_id")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the signed passport (JSON).",
)
@json_option
@click.pass_obj
def passport_export(obj: CliContext, module_id: str, out_file: Path, as_json: bool) -> None:
    """Write MODULE_ID's passport, signed by this factory's key, for the next factory."""
    text = ask_twin(obj, lambda twin: twin.export_passport(module_id))
    write_atomically(out_file, lambda target: target.write_text(text + "\n", "utf-8"), "--out")
    content = json.loads(text)["content"]
    summary = {
        "module_id": module_id,
        "file": str(out_file),
        "issuer": content["issuer"],
        "sites": len(content["history"]),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"wrote {out_file}: passport of {module_id}, {summary['sites']} site(s), "
            f"signed by {summary['issuer']}"
        )


@passport.command("import")
@click.argument("passport_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--request-id", help="Makes a retry safe (default: the file's content hash).")
@json_option
@click.pass_obj
def passport_import(
    obj: CliContext, passport_file: Path, request_id: str | None, as_json: bool
) -> None:
    """Verify a passport against this factory's trusted issuers and keep it: the module
    with that vendor and serial shows its history here when it registers."""
    text = read_text_capped(passport_file, MAX_DOCUMENT_BYTES)
    request = request_id or f"passport-{uuid.uuid5(uuid.NAMESPACE_URL, text)}"
    answer = ask_twin(obj, lambda twin: twin.import_passport(text, request))
    if as_json:
        emit_json(as_dict(answer))
    else:
        console.print(
            f"imported the passport of {answer.module_id} ({answer.vendor}, serial "
            f"{answer.serial}): {answer.sites} site(s), signed by {answer.signer}, "
            f"issued by {answer.issuer}"
        )


# -- signed order data -----------------------------------------------------------------


@order.command("export-signed")
@click.argument("order_id")
@click.option(
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Where to write the signed package (JSON).",
)
@click.option("--purpose", required=True, help="What the data may be used for.")
@click.option("--recipient", required=True, help="Who may use it.")
@click.option("--expires", required=True, help="Until when (ISO-8601 with a zone).")
@json_option
@click.pass_obj
def export_signed(
    obj: CliContext,
    order_id: str,
    out_file: Path,
    purpose: str,
    recipient: str,
    expires: str,
    as_json: bool,
) -> None:
    """Write ORDER_ID's data package with usage terms, signed by this factory's key."""
    expires_at = parse_time(expires, "--expires")
    text = ask_twin(
        obj, lambda twin: twin.signed_order_data(order_id, purpose, recipient, expires_at)
    )
    write_atomically(out_file, lambda target: target.write_text(text + "\n", "utf-8"), "--out")
    summary = {
        "order_id": order_id,
        "file": str(out_file),
        "purpose": purpose,
        "recipient": recipient,
        "expires_at": expires_at.isoformat(),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"wrote {out_file}: order {order_id} for {recipient} ({purpose}), "
            f"until {expires_at.isoformat()}"
        )


@order.command("verify")
@click.argument("signed_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--trust",
    "trusted_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CA certificate whose factories you trust (repeatable); default: the factory "
    f"PKI's ca.pem and {TRUSTED_ISSUERS_FOLDER}/ (--tls-dir).",
)
@click.option("--recipient", help="Refuse unless the package is addressed to this recipient.")
@click.option("--purpose", help="Refuse unless the package may be used for this purpose.")
@json_option
@click.pass_obj
def verify(
    obj: CliContext,
    signed_file: Path,
    trusted_files: tuple[Path, ...],
    recipient: str | None,
    purpose: str | None,
    as_json: bool,
) -> None:
    """Check a signed order package: the signature (naming any part that changed), the
    signer's issuer, and the usage terms (expiry, recipient, purpose)."""
    document = _json_file(signed_file)
    trusted = signing.load_trusted([p.read_bytes() for p in _trust_files(obj, trusted_files)])
    now = datetime.now(UTC)
    verified = signing.verify(document, ORDER_PACKAGE_KIND, trusted, now)
    terms = terms_of(verified)
    check_terms(terms, now, recipient=recipient, purpose=purpose)
    package = verified.content.get("package", {})
    summary = {
        "file": str(signed_file),
        "valid": True,
        "order_id": package.get("order", {}).get("order_id", ""),
        "signer": verified.signer,
        "issuer": verified.issuer,
        "signed_at": verified.signed_at.isoformat(),
        "terms": terms.model_dump(mode="json"),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"{signed_file}: intact, signed by {verified.signer} ({verified.issuer}) at "
            f"{summary['signed_at']}; for {terms.recipient}, purpose {terms.purpose!r}, "
            f"until {terms.expires_at.isoformat()}"
        )


def _trust_files(obj: CliContext, given: tuple[Path, ...]) -> list[Path]:
    if given:
        return list(given)
    ca = obj.tls.ca or (PkiDirectory(obj.tls.tls_dir).ca_certificate if obj.tls.tls_dir else None)
    if ca is None or not ca.is_file():
        raise BadInput(
            "no trusted issuers given",
            [Violation("--trust", "give the issuing factory's CA certificate, or --tls-dir")],
        )
    return [ca, *trusted_issuer_files(ca)]


def _json_file(path: Path) -> object:
    try:
        return json.loads(read_text_capped(path, MAX_DOCUMENT_BYTES))
    except ValueError as error:
        raise BadInput(
            f"{path} is not JSON", [Violation(str(path), f"not JSON: {error}")]
        ) from None


# -- trust -----------------------------------------------------------------------------


@pki_group.command("trust")
@click.argument("ca_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="A name for that factory (the file's name).")
@dir_option
@json_option
def trust(ca_file: Path, name: str, directory: Path, as_json: bool) -> None:
    """Trust another factory's CA as an issuer of passports and signed data (copied to
    trusted-issuers/ in the PKI directory; the orchestrator reads it at start)."""
    try:
        signing.load_trusted([ca_file.read_bytes()])
    except ValueError:
        raise BadInput(
            f"{ca_file} holds no PEM certificate",
            [Violation("CA_FILE", "holds no PEM certificate: give the CA's ca.pem")],
        ) from None
    if not name.replace("-", "").replace("_", "").isalnum():
        raise BadInput(
            f"{name!r} is not a file name", [Violation("--name", "letters, digits, -, _")]
        )
    folder = directory / TRUSTED_ISSUERS_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.pem"
    shutil.copyfile(ca_file, target)
    if as_json:
        emit_json({"trusted": str(target)})
    else:
        console.print(f"trusted {ca_file} as {target}")
