"""Commands of one shape made from a table: a target argument, the record output options
(`-f`, `--json`, `-q`) and one use case (`categories archive`, `recurring pause`,
`restore`, …). Each keeps its own name, argument and help; the body is written once."""

import inspect
from collections.abc import Callable
from typing import Any

import typer

from expense_cli.cli.formats import RecordFormat
from expense_cli.cli.options import FormatOpt, JsonOpt, QuietOpt

Run = Callable[[typer.Context, Any, RecordFormat, bool, bool], None]
"""What a command does with (ctx, target, fmt, as_json, quiet)."""

_ARG = inspect.Parameter.POSITIONAL_OR_KEYWORD


def target_command(
    name: str, target: tuple[str, Any], run: Run, doc: str, *, quiet_first: bool = False
) -> Callable[..., None]:
    """The command function `name(ctx, <target>, fmt, as_json, quiet)` that calls `run`;
    `target` is the argument's name and `Annotated` type; `quiet_first` lists `-q` before
    the format options, as the command's neighbours do."""
    param, annotation = target

    def command(ctx: typer.Context, **given: Any) -> None:
        run(ctx, given[param], given["fmt"], given["as_json"], given["quiet"])

    output = [
        inspect.Parameter("fmt", _ARG, default=RecordFormat.TABLE, annotation=FormatOpt),
        inspect.Parameter("as_json", _ARG, default=False, annotation=JsonOpt),
    ]
    quiet = inspect.Parameter("quiet", _ARG, default=False, annotation=QuietOpt)
    params = [
        inspect.Parameter("ctx", _ARG, annotation=typer.Context),
        inspect.Parameter(param, _ARG, annotation=annotation),
        *([quiet, *output] if quiet_first else [*output, quiet]),
    ]
    setattr(command, "__signature__", inspect.Signature(params, return_annotation=None))  # noqa: B010
    command.__annotations__ = {p.name: p.annotation for p in params} | {"return": None}
    command.__name__ = command.__qualname__ = name
    command.__doc__ = doc
    return command
