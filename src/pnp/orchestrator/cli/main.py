"""Entry point of ``pnp``: the command tree, and the one place errors become exit codes.

Exit codes: 0 success, 2 bad input (a recipe, a file, an argument), 1 any other failure.
Every command has ``--help``; every command that reports has ``--json``.
"""

from __future__ import annotations

import sys

import click

from pnp.orchestrator.cli.app import EXIT_BAD_INPUT, EXIT_FAILURE, EXIT_OK, cli
from pnp.orchestrator.cli.output import emit_json, errors, styled
from pnp.orchestrator.errors import BadInput, PnpError


def exit_code_for(error: PnpError) -> int:
    return EXIT_BAD_INPUT if isinstance(error, BadInput) else EXIT_FAILURE


def report(error: PnpError, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "error": {
                    "kind": type(error).__name__,
                    "message": error.message,
                    "violations": [
                        {"field": v.field, "location": v.location, "description": v.description}
                        for v in getattr(error, "violations", [])
                    ],
                }
            }
        )
    errors.print(styled(("error:", "red"), f" {error}"), soft_wrap=True)


def main(argv: list[str] | None = None) -> None:
    from pnp.orchestrator.cli import (  # noqa: F401 - registers the commands on `cli`
        bench_commands,
        cluster_commands,
        demo,
        event_commands,
        history_commands,
        maintenance_commands,
        module_commands,
        mtp_commands,
        order_commands,
        pki_commands,
        plan_commands,
        recipe_commands,
        serve,
        status_commands,
        twin_commands,
    )

    args = sys.argv[1:] if argv is None else argv
    try:
        code = cli.main(args=args, prog_name="pnp", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except click.exceptions.Abort:
        errors.print("aborted")
        sys.exit(EXIT_FAILURE)
    except PnpError as error:
        report(error, "--json" in args)
        sys.exit(exit_code_for(error))
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


if __name__ == "__main__":
    main()
