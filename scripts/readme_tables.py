"""Keep the README's Inputs and Outputs tables in sync with variables.tf and outputs.tf.

    python scripts/readme_tables.py           # rewrite the tables in README.md
    python scripts/readme_tables.py --check   # exit 1 when they are out of date

The root module's README and each submodule's (modules/*/README.md) carry the tables.

The tables sit between the markers `<!-- BEGIN_INPUTS -->` / `<!-- END_INPUTS -->` and
`<!-- BEGIN_OUTPUTS -->` / `<!-- END_OUTPUTS -->`. A small reader of Terraform's syntax finds
each block's top-level arguments; it knows strings, interpolations, comments and brackets, which
is all these files use.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OPENING = "([{"
CLOSING = ")]}"


@dataclass(frozen=True)
class Variable:
    name: str
    description: str | None
    type: str | None
    default: str | None  # the default expression as written; None when the input is required


@dataclass(frozen=True)
class Output:
    name: str
    description: str | None


def _skip_string(text: str, i: int) -> int:
    """Index just past the string literal that starts at text[i] == '"'."""
    i += 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == '"':
            return i + 1
        if text.startswith("${", i) or text.startswith("%{", i):
            i = _skip_brackets(text, i + 1)
            continue
        i += 1
    raise ValueError("unterminated string")


def _skip_comment(text: str, i: int) -> int:
    if text.startswith("/*", i):
        return text.index("*/", i) + 2
    end = text.find("\n", i)
    return len(text) if end < 0 else end


def _skip_brackets(text: str, i: int) -> int:
    """Index just past the bracket group that opens at text[i]."""
    depth = 0
    while i < len(text):
        char = text[i]
        if char == '"':
            i = _skip_string(text, i)
            continue
        if char == "#" or text.startswith("//", i) or text.startswith("/*", i):
            i = _skip_comment(text, i)
            continue
        if char in OPENING:
            depth += 1
        elif char in CLOSING:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError("unbalanced brackets")


def blocks(text: str, kind: str) -> dict[str, str]:
    """Bodies of the top-level blocks `<kind> "<label>" { ... }`, by label."""
    found = {}
    for match in re.finditer(rf'^{kind} "([^"]+)" \{{', text, re.MULTILINE):
        end = _skip_brackets(text, match.end() - 1)
        found[match.group(1)] = text[match.end() : end - 1]
    return found


def arguments(body: str) -> dict[str, str]:
    """The arguments `name = expression` at the top level of a block body; nested blocks skipped."""
    found = {}
    i = 0
    while i < len(body):
        if body[i] in " \t\r\n":
            i += 1
            continue
        if body[i] == "#" or body.startswith("//", i) or body.startswith("/*", i):
            i = _skip_comment(body, i)
            continue
        match = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*)\s*(=)?\s*").match(body, i)
        if match is None:
            raise ValueError(f"cannot read {body[i : i + 40]!r}")
        if match.group(2) is None:  # a nested block: skip its label(s) and body
            i = _skip_brackets(body, body.index("{", match.end()))
            continue
        start = j = match.end()
        while j < len(body) and body[j] != "\n":
            if body[j] == '"':
                j = _skip_string(body, j)
            elif body[j] in OPENING:
                j = _skip_brackets(body, j)
            elif body[j] == "#" or body.startswith("//", j):
                break
            else:
                j += 1
        found[match.group(1)] = body[start:j].strip()
        i = j
    return found


def one_line(expression: str) -> str:
    """A multi-line expression on one line, with commas between the lines of an object."""
    lines = [re.sub(" {2,}", " ", line.strip()) for line in expression.splitlines() if line.strip()]
    joined = lines[0] if lines else ""
    for previous, line in itertools.pairwise(lines):
        separator = " " if previous[-1] in "([{," or line[0] in ")]}" else ", "
        joined += separator + line
    return joined


def string_value(expression: str | None) -> str | None:
    if expression is None or not expression.startswith('"'):
        return None
    return str(json.loads(expression))


def read_variables(path: Path) -> list[Variable]:
    variables = []
    for name, body in blocks(path.read_text(), "variable").items():
        args = arguments(body)
        variables.append(
            Variable(
                name=name,
                description=string_value(args.get("description")),
                type=one_line(args["type"]) if "type" in args else None,
                default=one_line(args["default"]) if "default" in args else None,
            )
        )
    return variables


def read_outputs(path: Path) -> list[Output]:
    return [
        Output(name=name, description=string_value(arguments(body).get("description")))
        for name, body in blocks(path.read_text(), "output").items()
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str) -> str:
    return "`" + text.replace("|", "\\|") + "`"


def inputs_table(variables: list[Variable]) -> str:
    rows = ["| Name | Description | Type | Default | Required |", "|---|---|---|---|:-:|"]
    for var in variables:
        default = "n/a" if var.default is None else _code(var.default)
        required = "yes" if var.default is None else "no"
        rows.append(
            f"| {_code(var.name)} | {_cell(var.description or '')} | {_code(var.type or 'any')} "
            f"| {default} | {required} |"
        )
    return "\n".join(rows)


def outputs_table(outputs: list[Output]) -> str:
    rows = ["| Name | Description |", "|---|---|"]
    rows += [f"| {_code(out.name)} | {_cell(out.description or '')} |" for out in outputs]
    return "\n".join(rows)


def rendered_readme(readme: str, root: Path = REPO) -> str:
    """README text with both tables regenerated from the module's files."""
    tables = {
        "INPUTS": inputs_table(read_variables(root / "variables.tf")),
        "OUTPUTS": outputs_table(read_outputs(root / "outputs.tf")),
    }
    for marker, table in tables.items():
        pattern = re.compile(
            rf"(<!-- BEGIN_{marker} -->\n)(?:.*?\n)?(<!-- END_{marker} -->)", re.DOTALL
        )
        if not pattern.search(readme):
            raise ValueError(f"README.md lacks the <!-- BEGIN_{marker} --> ... END markers")
        readme = pattern.sub(lambda m, t=table: f"{m.group(1)}{t}\n{m.group(2)}", readme)
    return readme


def module_roots() -> list[Path]:
    """The modules whose README carries the tables: the root module and each submodule."""
    return [REPO, *sorted(path.parent for path in REPO.glob("modules/*/variables.tf"))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check, do not write")
    args = parser.parse_args(argv)
    stale = 0
    for root in module_roots():
        readme_path = root / "README.md"
        name = readme_path.relative_to(REPO)
        current = readme_path.read_text()
        wanted = rendered_readme(current, root)
        if current == wanted:
            continue
        if args.check:
            print(f"{name} Inputs/Outputs tables are out of date: run `make readme`")
            stale += 1
            continue
        readme_path.write_text(wanted)
        print(f"{name} tables updated")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
