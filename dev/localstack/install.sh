#!/usr/bin/env bash
# Installs LocalStack (localstack-core[runtime] 4.14.0 and boto3, pinned by constraints.txt) and
# the no-Docker Lambda executor in executor/ into .venv-localstack at the repository root.
#
# LocalStack needs Python 3.13. It is looked for, in this order:
#   1. LOCALSTACK_PYTHON   (an interpreter path or command name)
#   2. python3.13 on PATH
#   3. pyenv               (`pyenv prefix 3.13`, or $PYENV_ROOT/versions/3.13*/bin/python)
#
# With UV set to a uv binary (as `make localstack-venv` does), uv installs the pinned set, in
# seconds; without it, pip does.
#
# Stamp files in the venv record what was installed, so a second run does nothing. When the pins,
# the interpreter or this script change, the venv is made again from scratch (the same set every
# time); when only the executor's sources change, only the executor is reinstalled.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-localstack"
constraints="$here/constraints.txt"
executor="$here/executor"
install_log="$root/.build/localstack-install.log"
runtime_stamp="$venv/.installed-runtime"
executor_stamp="$venv/.installed-executor"

die() {
  echo "install.sh: $*" >&2
  exit 1
}

# Prints the interpreter's real path (through pyenv shims) if it is a working Python 3.13.
resolve_python313() {
  "$1" -c 'import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)' \
    2>/dev/null
}

find_python() {
  local candidate prefix
  if [[ -n "${LOCALSTACK_PYTHON:-}" ]]; then
    resolve_python313 "$LOCALSTACK_PYTHON" \
      || die "LOCALSTACK_PYTHON=$LOCALSTACK_PYTHON is not a working Python 3.13 interpreter"
    return
  fi
  if command -v python3.13 >/dev/null 2>&1 && resolve_python313 python3.13; then
    return
  fi
  if command -v pyenv >/dev/null 2>&1 && prefix="$(pyenv prefix 3.13 2>/dev/null)" \
    && resolve_python313 "$prefix/bin/python"; then
    return
  fi
  for candidate in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.13*/bin/python \
    /root/.pyenv/versions/3.13*/bin/python; do
    if [[ -x "$candidate" ]] && resolve_python313 "$candidate"; then
      return
    fi
  done
  die "LocalStack needs Python 3.13 and none was found. Provide one in any of these ways:
  1. set LOCALSTACK_PYTHON to a Python 3.13 interpreter (LOCALSTACK_PYTHON=/path/to/python3.13);
  2. put python3.13 on PATH (for example: apt-get install python3.13 python3.13-venv);
  3. install it with pyenv (pyenv install 3.13), found through 'pyenv prefix 3.13'."
}

run_logged() {
  if ! "$@" >>"$install_log" 2>&1; then
    tail -n 30 "$install_log" >&2
    die "failed: $* (full log: $install_log)"
  fi
}

python="$(find_python)"
runtime_fingerprint="$(
  {
    "$python" -c 'import sys; print(sys.executable, sys.version)'
    cat "$constraints" "${BASH_SOURCE[0]}"
  } | sha256sum | cut -d' ' -f1
)"
executor_fingerprint="$(
  find "$executor" -type f \( -name '*.py' -o -name '*.toml' \) -not -path '*/__pycache__/*' \
    -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sed "s|$executor/||" | sha256sum \
    | cut -d' ' -f1
)"
if [[ "$(cat "$runtime_stamp" 2>/dev/null)" == "$runtime_fingerprint" \
  && "$(cat "$executor_stamp" 2>/dev/null)" == "$executor_fingerprint" ]]; then
  echo "LocalStack venv is up to date: ${venv#"$root/"}"
  exit 0
fi

started=$SECONDS
mkdir -p "$(dirname "$install_log")"
: >"$install_log"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)

if [[ "$(cat "$runtime_stamp" 2>/dev/null)" != "$runtime_fingerprint" ]]; then
  echo "Installing LocalStack 4.14.0 into ${venv#"$root/"} with $python" \
    "(log: ${install_log#"$root/"})"
  rm -rf "$venv"
  if [[ -n "${UV:-}" ]]; then
    run_logged "$UV" venv --seed --python "$python" "$venv"
    run_logged "$UV" pip install --python "$venv/bin/python" -c "$constraints" \
      'localstack-core[runtime]' boto3 setuptools
  else
    run_logged "$python" -m venv "$venv"
    run_logged "${pip[@]}" install -c "$constraints" 'localstack-core[runtime]' boto3 setuptools
  fi
  # Compiled to bytecode whole (pip compiles what it installs; uv does not): LocalStack and each
  # Lambda environment import from here, and where PYTHONDONTWRITEBYTECODE is set they would
  # compile every module they import anew.
  run_logged "$venv/bin/python" -m compileall -q -j 0 "$venv/lib"
  echo "$runtime_fingerprint" >"$runtime_stamp"
  rm -f "$executor_stamp"
fi

echo "Installing the host-python Lambda executor into ${venv#"$root/"}"
# Built from a copy, as the build leaves files in the source tree, with the venv's pinned
# setuptools; reinstalled so that source changes always land.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cp -r "$executor" "$scratch/executor"
find "$scratch/executor" -name __pycache__ -prune -exec rm -rf {} +
run_logged "${pip[@]}" install -c "$constraints" --no-build-isolation --no-deps \
  --force-reinstall "$scratch/executor"
run_logged "$venv/bin/python" -I -c '
from importlib.metadata import entry_points

names = [ep.name for ep in entry_points(group="localstack.lambda.runtime_executor")]
assert "host-python" in names, f"executor plugin not registered: {names}"
import localstack_host_executor.executor
'
echo "$executor_fingerprint" >"$executor_stamp"
echo "LocalStack venv ready in $((SECONDS - started)) s: ${venv#"$root/"}"
