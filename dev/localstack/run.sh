#!/usr/bin/env bash
# Runs LocalStack 4.14.0 on the host (no Docker), from .venv-localstack, on 127.0.0.1 only.
#
#   dev/localstack/run.sh -- COMMAND [ARGS...]
#       Starts LocalStack, runs COMMAND with LOCALSTACK_ENDPOINT=http://127.0.0.1:<port>, then
#       always stops LocalStack (also when COMMAND fails, on Ctrl-C and on SIGTERM) and exits
#       with COMMAND's status.
#   dev/localstack/run.sh start    Starts LocalStack in the background and prints the endpoint.
#   dev/localstack/run.sh stop     Stops the LocalStack that `start` started on this port.
#
# Settings (environment):
#   LOCALSTACK_PORT           port on 127.0.0.1 (default 4566); must be free
#   LOCALSTACK_START_TIMEOUT  seconds to wait for /_localstack/health (default 90)
#   LOCALSTACK_LOG_FILE       LocalStack's log (default .build/localstack.log; with another
#                             port, .build/localstack-<port>.log)
#   LOCALSTACK_SERVICES       services to run (default: what the module and its tests use)
#
# Lambda functions run through the host-python executor (dev/localstack/executor): Python
# handlers only, on LocalStack's Python 3.13, with the environment LocalStack computes.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="$root/.venv-localstack/bin/python"
port="${LOCALSTACK_PORT:-4566}"
start_timeout="${LOCALSTACK_START_TIMEOUT:-90}"
services="${LOCALSTACK_SERVICES:-iam,sts,ssm,secretsmanager,stepfunctions,lambda,logs,events,scheduler,cloudwatch,kms,sns,sqs,s3}"
if [[ "$port" == 4566 ]]; then
  log="${LOCALSTACK_LOG_FILE:-$root/.build/localstack.log}"
else
  log="${LOCALSTACK_LOG_FILE:-$root/.build/localstack-$port.log}"
fi
state="$root/.build/localstack-$port"
pidfile="$state.pid"
endpoint="http://127.0.0.1:$port"

say() { echo "localstack: $*" >&2; }
die() {
  say "$*"
  exit 1
}

usage() {
  sed -n '3,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
  die "LOCALSTACK_PORT must be a TCP port number, got '$port'"
fi

ensure_venv() {
  "$here/install.sh" >&2 || die "could not install LocalStack (see above)"
}

check_port_free() {
  local problem
  if ! problem="$("$python" -I - "$port" <<'EOF' 2>&1
import socket
import sys

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    sock.bind(("127.0.0.1", int(sys.argv[1])))
except OSError as exc:
    print(exc.strerror or exc)
    sys.exit(1)
finally:
    sock.close()
EOF
  )"; then
    die "port $port on 127.0.0.1 is not free ($problem). Stop whatever listens there" \
      "(ss -ltnp 'sport = :$port' shows it) or choose another port with LOCALSTACK_PORT."
  fi
}

# Starts LocalStack in its own session (so a terminal's Ctrl-C reaches only the command; the trap
# stops LocalStack) and waits until it answers. Sets ls_pid.
start_localstack() {
  check_port_free
  rm -rf "$state"
  mkdir -p "$state/fs" "$state/tmp" "$(dirname "$log")"
  : >"$log"
  local started="$EPOCHREALTIME"
  env GATEWAY_LISTEN="127.0.0.1:$port" \
    GATEWAY_SERVER=hypercorn \
    DNS_ADDRESS=0 \
    PERSISTENCE=0 \
    SKIP_SSL_CERT_DOWNLOAD=1 \
    DISABLE_EVENTS=1 \
    SERVICES="$services" \
    LAMBDA_RUNTIME_EXECUTOR=host-python \
    OVERRIDE_IN_DOCKER=0 \
    FILESYSTEM_ROOT="$state/fs" \
    TMPDIR="$state/tmp" \
    setsid "$python" -m localstack.runtime.main </dev/null >>"$log" 2>&1 &
  ls_pid=$!
  echo "$ls_pid" >"$pidfile"
  if ! "$python" -I - "$endpoint/_localstack/health" "$ls_pid" "$start_timeout" <<'EOF'; then
import os
import sys
import time
import urllib.request

url, pid, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
deadline = time.monotonic() + timeout
while time.monotonic() < deadline:
    try:
        with opener.open(url, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        print("exited during start-up", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.2)
print(f"did not answer {url} within {timeout:g} s", file=sys.stderr)
sys.exit(1)
EOF
    tail -n 20 "$log" >&2 || true
    die "LocalStack did not start; its log is $log"
  fi
  say "ready at $endpoint in $(awk "BEGIN { printf \"%.1f\", $EPOCHREALTIME - $started }") s" \
    "(log: ${log#"$root/"})"
}

# Whether a process of LocalStack's session (started by setsid: session id = process group id =
# its pid) is still running; zombies waiting to be reaped do not count.
group_alive() {
  # shellcheck disable=SC2009 # pgrep cannot leave zombies out
  ps -o stat= --sid "$1" 2>/dev/null | grep -qv '^Z'
}

# Stops the process group of LocalStack: SIGTERM, then SIGKILL after 10 s.
stop_group() {
  local pid="$1" i
  group_alive "$pid" || return 0
  kill -TERM -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    group_alive "$pid" || return 0
    sleep 0.2
  done
  say "LocalStack did not stop on SIGTERM; killing it"
  kill -KILL -- "-$pid" 2>/dev/null || true
}

stop_localstack() {
  [[ -n "${ls_pid:-}" ]] || return 0
  stop_group "$ls_pid"
  rm -rf "$state" "$pidfile"
  say "stopped"
  ls_pid=""
}

# On SIGINT, SIGTERM or SIGHUP: let the command end (a terminal's Ctrl-C reached it already; other
# signals are passed on as SIGTERM), then exit, which stops LocalStack.
on_signal() {
  local signal="$1" status="$2" i
  if [[ -n "${cmd_pid:-}" ]] && kill -0 "$cmd_pid" 2>/dev/null; then
    if [[ "$signal" == INT ]]; then
      for ((i = 0; i < 50; i++)); do
        kill -0 "$cmd_pid" 2>/dev/null || break
        sleep 0.2
      done
    fi
    kill -TERM "$cmd_pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$cmd_pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$cmd_pid" 2>/dev/null || true
  fi
  exit "$status"
}

case "${1:-}" in
  --)
    shift
    (($# > 0)) || usage
    ensure_venv
    ls_pid=""
    cmd_pid=""
    trap stop_localstack EXIT
    trap 'on_signal INT 130' INT
    trap 'on_signal TERM 143' TERM
    trap 'on_signal HUP 129' HUP
    start_localstack
    export LOCALSTACK_ENDPOINT="$endpoint"
    # A background job, so that this script acts on signals at once; bash starts background jobs
    # with SIGINT ignored and stdin from /dev/null, so give both back: the command behaves as in
    # the foreground (Ctrl-C at a terminal reaches it, it can read stdin).
    env --default-signal=INT "$@" <&0 &
    cmd_pid=$!
    set +e
    wait "$cmd_pid"
    status=$?
    set -e
    cmd_pid=""
    exit "$status"
    ;;
  start)
    ensure_venv
    if [[ -f "$pidfile" ]] && group_alive "$(cat "$pidfile")"; then
      die "already running on port $port (pid $(cat "$pidfile")); run '$0 stop' first"
    fi
    ls_pid=""
    trap stop_localstack EXIT
    start_localstack
    trap - EXIT
    echo "LOCALSTACK_ENDPOINT=$endpoint"
    ;;
  stop)
    [[ -f "$pidfile" ]] || die "no LocalStack started by '$0 start' on port $port"
    ls_pid="$(cat "$pidfile")"
    stop_localstack
    ;;
  *)
    usage
    ;;
esac
