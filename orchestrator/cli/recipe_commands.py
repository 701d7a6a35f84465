"""``pnp recipe validate`` and ``pnp recipe schema``: check recipe files offline."""

from __future__ import annotations

import json

import click

from orchestrator.cli.main import EXIT_BAD_INPUT, EXIT_OK, cli, json_option
from orchestrator.cli.output import console, emit_json, errors
from orchestrator.domain.recipe_loader import load_recipe_file, recipe_json_schema
from orchestrator.errors import BadInput


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
