"""``pnp recipe validate``, ``schema``, ``examples``: check recipes offline, start from ours."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from pnp.examples import EXAMPLES_DIR
from pnp.orchestrator.cli.app import EXIT_BAD_INPUT, EXIT_OK, cli, json_option
from pnp.orchestrator.cli.output import console, emit_json, errors
from pnp.orchestrator.domain.recipe_loader import load_recipe_file, recipe_json_schema
from pnp.orchestrator.errors import BadInput, Violation


@cli.group()
def recipe() -> None:
    """Check recipe files and publish their schema."""


@recipe.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@json_option
def validate(files: tuple[str, ...], as_json: bool) -> int:
    """Validate recipe FILES; exit 0 when all are valid, 2 when any is not."""
    results = []
    for path in files:
        try:
            loaded = load_recipe_file(path)
        except BadInput as error:
            results.append(
                {
                    "file": path,
                    "valid": False,
                    "errors": [
                        {"location": v.location, "field": v.field, "message": v.description}
                        for v in error.violations
                    ]
                    or [{"location": path, "field": "", "message": error.message}],
                }
            )
            if not as_json:
                errors.print(str(error) if error.violations else f"{path}: {error.message}")
            continue
        results.append({"file": path, "valid": True, "name": loaded.metadata.name})
        if not as_json:
            console.print(f"{path}: ok ({loaded.metadata.name}, {len(loaded.spec.steps)} steps)")
    if as_json:
        emit_json({"files": results})
    return EXIT_OK if all(r["valid"] for r in results) else EXIT_BAD_INPUT


@recipe.command()
def schema() -> None:
    """Print the JSON Schema of recipe files (for editors and CI)."""
    click.echo(json.dumps(recipe_json_schema(), indent=2))


@recipe.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--force", is_flag=True, help="Overwrite files that already exist in FOLDER.")
@json_option
def examples(folder: str, force: bool, as_json: bool) -> int:
    """Copy the example recipes and the demo layout into FOLDER, to edit and submit.

    Writes FOLDER/orders/*.yaml and FOLDER/layouts/demo-factory.yaml; `pnp demo
    --recipes FOLDER` then runs the demo on the edited copies. Refuses to overwrite
    an existing file unless --force is given, and then writes nothing.
    """
    target = Path(folder)
    sources = sorted(EXAMPLES_DIR.glob("*/*.yaml"))
    copies = [(source, target / source.relative_to(EXAMPLES_DIR)) for source in sources]
    existing = [str(dest) for _, dest in copies if dest.exists()]
    if existing and not force:
        raise BadInput(
            f"{len(existing)} file(s) already exist in {target}",
            [Violation(path, "exists; pass --force to overwrite") for path in existing],
        )
    try:
        for source, dest in copies:
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
    except OSError as error:
        raise BadInput(
            f"cannot write into {target}: {error.strerror}",
            [Violation("FOLDER", f"cannot write into {target}: {error.strerror}")],
        ) from None
    written = [str(dest) for _, dest in copies]
    if as_json:
        emit_json({"folder": str(target), "files": written})
    else:
        for path in written:
            console.print(path)
    return EXIT_OK
