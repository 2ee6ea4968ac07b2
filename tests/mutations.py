"""Mutations of a document's lines, shared by the property tests and the long fuzz run."""

from __future__ import annotations

import random

OPERATIONS = ("delete", "duplicate", "swap", "truncate", "digit", "separator", "bracket", "noise", "page-break")


def mutate(lines: list[str], rng: random.Random, count: int = 1) -> tuple[list[str], list[str]]:
    """Apply ``count`` random mutations; return the new lines and what was done."""
    lines = list(lines)
    done = []
    for _ in range(count):
        op = rng.choice(OPERATIONS)
        i = rng.randrange(len(lines))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "truncate":
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif op == "digit":
            positions = [k for k, c in enumerate(lines[i]) if c.isdigit()]
            if positions:
                k = rng.choice(positions)
                lines[i] = lines[i][:k] + rng.choice("0123456789") + lines[i][k + 1 :]
        elif op == "separator":
            lines[i] = lines[i].replace(rng.choice(["\t", ",", "."]), rng.choice(["", " ", "\t\t", "，"]), 1)
        elif op == "bracket":
            lines[i] = lines[i].replace(rng.choice("[（]）"), rng.choice("【】()"), 1)
        elif op == "noise":
            lines[i] += "".join(chr(rng.randrange(32, 0x9FFF)) for _ in range(rng.randint(1, 8)))
        elif op == "page-break":
            lines.insert(i, "")
        done.append(f"{op}@{i + 1}")
    return lines, done
