"""The ``crucible`` command: creates the app and registers every command group's commands."""

from __future__ import annotations

import typer

from codecrucible import __version__
from codecrucible.cli import classify, info, instruct, judge, report, run, sandbox, weights
from codecrucible.cli import eval as eval_commands
from codecrucible.cli.common import out
from codecrucible.cli.finetune import finetune

app = typer.Typer(
    help="codecrucible: judge code written by language models, in a fast, strong sandbox.\n\n"
         "Examples:\n\n"
         "  crucible benchmarks\n\n"
         "  crucible eval samples.jsonl -b humaneval+\n\n"
         "  crucible eval samples.jsonl -b humaneval+ --resume\n\n"
         "  crucible sandbox run untrusted.py --timeout 5 --memory 512M\n\n"
         "  crucible doctor",
    no_args_is_help=True, add_completion=False, rich_markup_mode=None)
sandbox_app = typer.Typer(help="Run untrusted code in the sandbox.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
instruct_app = typer.Typer(help="Evol-Instruct: evolve instructions for fine-tuning, export "
                           "them.", no_args_is_help=True)
app.add_typer(instruct_app, name="instruct")
weights_app = typer.Typer(help="Look inside a classifier's checkpoint: the trojan "
                           "signature of its final layer; the study that tests it on code "
                           "classifiers.", no_args_is_help=True)
app.add_typer(weights_app, name="weights")
classify_app = typer.Typer(help="Classification cost-benefit: prompting, LoRA fine-tuning and "
                           "small supervised models on one task.", no_args_is_help=True)
app.add_typer(classify_app, name="classify")


@app.callback(invoke_without_command=True)
def _main(version: bool = typer.Option(False, "--version", help="Print the version and exit.")):
    if version:
        out.print(__version__)
        raise typer.Exit()


app.command()(info.benchmarks)
app.command("eval")(eval_commands.eval_command)
sandbox_app.command("run")(sandbox.run)
app.command()(info.doctor)
app.command()(run.run)
app.command()(info.models)
app.command()(report.report)
app.command()(judge.judge)
instruct_app.command("evolve")(instruct.evolve)
instruct_app.command("export")(instruct.export)
app.command()(finetune)
weights_app.command("scan")(weights.scan)
weights_app.command("study")(weights.study)
classify_app.command("study")(classify.study)

if __name__ == "__main__":
    app()
