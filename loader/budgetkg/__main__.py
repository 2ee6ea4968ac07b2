"""python -m budgetkg: the same as the budgetkg command."""

from .cli import cli

# Guarded: the server processes of `serve` are spawned processes, which import this module again.
if __name__ == "__main__":
    cli(prog_name="budgetkg")
