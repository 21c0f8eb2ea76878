#!/usr/bin/env bash
# Local service stack for Sluice, as plain processes on loopback (no Docker on these machines).
# Mirrors the article's compose file: Redpanda -> tansu, MySQL -> MariaDB, MinIO -> s3s-fs,
# debezium/connect -> the Sluice worker.
#
#   scripts/stack.sh install             install missing binaries (apt mariadb, cargo tansu/s3s-fs)
#   scripts/stack.sh up     [svc...]     start services (no-op for those already running)
#   scripts/stack.sh down   [svc...]     stop services (SIGTERM, then SIGKILL)
#   scripts/stack.sh ps                  table: name, pid, state, port
#   scripts/stack.sh status [svc...]     run readiness probes; exit 1 if an expected one fails
#   scripts/stack.sh logs   [svc] [-f]   tail logs (follow with -f)
#
# Services: tansu (aliases kafka, broker, redpanda), mariadb (mysql), s3 (s3s-fs, minio), worker.
# All state lives under ${SLUICE_STACK_DIR:-$REPO/.stack}.
# Env: KAFKA_PORT MYSQL_PORT S3_PORT SLUICE_PORT, SLUICE_SKIP_WORKER=1, SLUICE_BIN,
#      STACK_TIMEOUT (readiness, s), STACK_STOP_TIMEOUT (SIGTERM grace, s).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${SLUICE_STACK_DIR:-$REPO/.stack}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)" # absolute: it ends up in URLs and --datadir
LOGS="$DIR/logs"
RUN="$DIR/run"

KAFKA_PORT="${KAFKA_PORT:-9092}"
MYSQL_PORT="${MYSQL_PORT:-3306}"
S3_PORT="${S3_PORT:-9000}"
SLUICE_PORT="${SLUICE_PORT:-8083}"
SLUICE_BIN="${SLUICE_BIN:-$REPO/target/release/sluice}"
TIMEOUT="${STACK_TIMEOUT:-60}"
STOP_TIMEOUT="${STACK_STOP_TIMEOUT:-30}"

# Pinned so a fresh machine gets what local-stack.md measured (s3s-fs 0.17 needs a newer rustc).
TANSU_VERSION="0.6.0"
S3S_FS_VERSION="0.14.1"

MYSQL_ROOT_PASSWORD="debezium"
S3_ACCESS_KEY="minio"
S3_SECRET_KEY="minio123"
S3_BUCKET="warehouse"

ALL_SERVICES=(tansu mariadb s3 worker)

# cargo-installed tools live here; CI's environment may not have it on PATH.
case ":$PATH:" in *":$HOME/.cargo/bin:"*) ;; *) PATH="$HOME/.cargo/bin:$PATH" ;; esac
# mariadbd and mariadb-install-db are in sbin, which a non-login PATH may lack.
case ":$PATH:" in *":/usr/sbin:"*) ;; *) PATH="$PATH:/usr/sbin" ;; esac
export PATH

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

canon() {
  case "$1" in
    tansu | kafka | broker | redpanda) echo tansu ;;
    mariadb | mysql) echo mariadb ;;
    s3 | s3s-fs | minio) echo s3 ;;
    worker | sluice | connect) echo worker ;;
    *) die "unknown service '$1' (expected: ${ALL_SERVICES[*]})" ;;
  esac
}

port_of() {
  case "$1" in
    tansu) echo "$KAFKA_PORT" ;; mariadb) echo "$MYSQL_PORT" ;;
    s3) echo "$S3_PORT" ;; worker) echo "$SLUICE_PORT" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# process helpers

pidfile() { echo "$RUN/$1.pid"; }
read_pid() { local f; f="$(pidfile "$1")"; [[ -s "$f" ]] && cat "$f" || true; }
# A zombie (killed, not yet reaped by init) still passes kill -0: treat it as dead.
alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local st
  st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$st" != Z ]]
}

# True when something accepts TCP connections on 127.0.0.1:$1. bash's /dev/tcp needs no nc.
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Pid listening on a port, if `ss` can tell (iproute2); empty otherwise.
port_pid() {
  command -v ss >/dev/null || return 0
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true
}

# A pid and all its descendants are "ours": s3s-fs/tansu/mariadbd run as the pid we recorded,
# but a wrapper could fork, so compare the listener's process group too.
owns_port() {
  local pid="$1" port="$2" lp
  lp="$(port_pid "$port")"
  [[ -z "$lp" ]] && return 0 # cannot tell without ss: trust the live pid file
  [[ "$lp" == "$pid" ]] && return 0
  [[ "$(ps -o pgid= -p "$lp" 2>/dev/null | tr -d ' ')" == "$pid" ]]
}

# Start "$@" detached in its own session (so Ctrl-C on `make up` or the end of a CI step does not
# take it down), logging to $LOGS/$svc.log. The pid is written by the child itself, so it is the
# real service pid (and process-group id) whatever job control the caller has.
spawn() {
  local svc="$1"; shift
  local pf; pf="$(pidfile "$svc")"
  rm -f "$pf"
  {
    printf '\n==== %s start %s\n' "$svc" "$(date -Is)"
    printf '==== cmd:'; printf ' %q' "$@"; printf '\n'
  } >>"$LOGS/$svc.log"
  # 7-9>&-: the service must not inherit our (or test.sh's) flock fds, or a lock would outlive us.
  setsid bash -c 'echo $$ > "$0"; exec "$@"' "$pf" "$@" </dev/null >>"$LOGS/$svc.log" 2>&1 7>&- 8>&- 9>&- &
  local i
  for i in $(seq 1 50); do [[ -s "$pf" ]] && return 0; sleep 0.1; done
  die "$svc: no pid file after spawn"
}

# wait_ready svc probe-fn: poll with backoff until the probe passes, the process dies or
# the timeout elapses.
wait_ready() {
  local svc="$1" probe="$2" pid start delay=0.1
  pid="$(read_pid "$svc")"
  start=$SECONDS
  while ! "$probe"; do
    if ! alive "$pid"; then
      log "$svc exited during startup; last log lines:"
      tail -n 30 "$LOGS/$svc.log" >&2 || true
      return 1
    fi
    if ((SECONDS - start >= TIMEOUT)); then
      log "$svc not ready after ${TIMEOUT}s; last log lines:"
      tail -n 30 "$LOGS/$svc.log" >&2 || true
      return 1
    fi
    sleep "$delay"
    delay="$(awk -v d="$delay" 'BEGIN { d *= 2; if (d > 1) d = 1; print d }')"
  done
  log "$svc ready on 127.0.0.1:$(port_of "$svc") (pid $pid, $((SECONDS - start))s)"
}

# ---------------------------------------------------------------------------------------------
# probes

probe_tansu() { port_open "$KAFKA_PORT"; }
probe_mariadb() {
  # `ping` exits 0 as soon as the server answers, even before our accounts exist.
  mariadb-admin --no-defaults --protocol=TCP -h127.0.0.1 -P"$MYSQL_PORT" -uroot \
    --connect-timeout=2 ping >/dev/null 2>&1
}
probe_s3() {
  # Any HTTP status (403 for an unsigned request) means the server is up.
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$S3_PORT/" || true)"
  [[ -n "$code" && "$code" != "000" ]]
}
probe_worker() { curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$SLUICE_PORT/"; }

# ---------------------------------------------------------------------------------------------
# starters: each assumes the port is free and nothing of ours runs.

mysql_sock() {
  local s="$DIR/mariadb/mysqld.sock"
  # Unix socket paths are limited to 108 bytes; a deep checkout (CI) can exceed that.
  if ((${#s} > 100)); then s="/tmp/sluice-mysqld-$(printf '%s' "$DIR" | cksum | cut -d' ' -f1).sock"; fi
  echo "$s"
}

start_tansu() {
  mkdir -p "$DIR/tansu"
  # sqlite storage keeps topics and committed group offsets across broker restarts
  # (memory:// would lose the Connect internal topics). Quirk of tansu 0.6: it drops one leading
  # '/' of the URL path and resolves the rest against its cwd, so `sqlite:///abs/x.db` opens
  # ./abs/x.db and fails; an absolute file needs four slashes. We also run it in its own folder
  # so anything else it writes stays there. SLUICE_TANSU_STORAGE overrides the engine (the test
  # run uses its own SQLite file). Avoid memory:// for anything with consumers: tansu 0.6's
  # memory engine answers a fetch only with batches starting at or after the fetch offset, so a
  # consumer resuming inside a producer's batch skips the rest of that batch.
  (cd "$DIR/tansu" && spawn tansu tansu broker \
    --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --storage-engine "${SLUICE_TANSU_STORAGE:-sqlite:///$DIR/tansu/tansu.db}")
  wait_ready tansu probe_tansu
}

mariadb_sql() { # run SQL as root over the socket, trying the final password first
  local sock; sock="$(mysql_sock)"
  mariadb --no-defaults --socket="$sock" -uroot -p"$MYSQL_ROOT_PASSWORD" -e "$1" 2>/dev/null ||
    mariadb --no-defaults --socket="$sock" -uroot -e "$1"
}

# A private CA and a server certificate for 127.0.0.1/localhost (kept across restarts), plus an
# unrelated CA for tests that must see verification fail. Idempotent.
mariadb_tls() {
  local t="$DIR/mariadb-tls"
  [[ -f "$t/server-cert.pem" && -f "$t/other-ca.pem" ]] && return 0
  command -v openssl >/dev/null || die "openssl missing: apt-get install openssl"
  mkdir -p "$t"
  (
    cd "$t"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Sluice test CA" \
      -keyout ca-key.pem -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server-key.pem -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile server.ext -out server-cert.pem
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=Some other CA" \
      -keyout other-ca-key.pem -out other-ca.pem
  ) >>"$LOGS/mariadb.log" 2>&1 || die "mariadb: making TLS certificates failed (see $LOGS/mariadb.log)"
}

start_mariadb() {
  local d="$DIR/mariadb" sock
  sock="$(mysql_sock)"
  # The marker is written only after a complete bootstrap; a half-made datadir is rebuilt.
  if [[ ! -f "$d/.sluice-initialized" ]]; then
    log "mariadb: initializing datadir $d"
    rm -rf "$d"
    mkdir -p "$d"
    mariadb-install-db --no-defaults --datadir="$d" --user=root \
      --auth-root-authentication-method=normal --skip-test-db >>"$LOGS/mariadb.log" 2>&1 ||
      { tail -n 30 "$LOGS/mariadb.log" >&2; die "mariadb-install-db failed"; }
    touch "$d/.sluice-initialized"
  fi
  mariadb_tls
  # ROW + FULL row images are what Debezium requires; 128M packets let 64 MB rows through.
  # TLS is offered (not required), so database.ssl.mode can be tested; plain clients still work.
  spawn mariadb mariadbd --no-defaults --datadir="$d" --user=root \
    --port="$MYSQL_PORT" --bind-address=127.0.0.1 --socket="$sock" --pid-file="$d/mariadbd.pid" \
    --log-bin="$d/binlog" --binlog-format=ROW --binlog-row-image=FULL --server-id=1 \
    --max-allowed-packet=128M \
    --ssl-ca="$DIR/mariadb-tls/ca.pem" --ssl-cert="$DIR/mariadb-tls/server-cert.pem" \
    --ssl-key="$DIR/mariadb-tls/server-key.pem"
  wait_ready mariadb probe_mariadb
}

# Idempotent: safe on every `up`, whether the datadir is new or not.
mariadb_accounts() {
  local sql="ALTER USER 'root'@'localhost' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
  local h
  for h in 127.0.0.1 '%'; do
    sql+="CREATE USER IF NOT EXISTS 'root'@'$h' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
    sql+="ALTER USER 'root'@'$h' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
    sql+="GRANT ALL PRIVILEGES ON *.* TO 'root'@'$h' WITH GRANT OPTION;"
  done
  # 'localhost' covers the socket and TCP from 127.0.0.1 (which resolves to localhost);
  # '%' and '127.0.0.1' cover clients whatever name resolution says.
  for h in localhost 127.0.0.1 '%'; do
    sql+="CREATE USER IF NOT EXISTS 'debezium'@'$h' IDENTIFIED BY 'dbz';"
    sql+="ALTER USER 'debezium'@'$h' IDENTIFIED BY 'dbz';"
    sql+="GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, LOCK TABLES ON *.* TO 'debezium'@'$h';"
  done
  sql+="FLUSH PRIVILEGES;"
  mariadb_sql "$sql" || die "mariadb: creating accounts failed"
  # mariadb-install-db also makes root@::1 and root@<hostname> without a password: close them.
  local hosts
  hosts="$(mariadb_sql "SELECT host FROM mysql.user WHERE user='root' AND host NOT IN ('localhost','127.0.0.1','%')" | tail -n +2)"
  sql=""
  while IFS= read -r h; do
    [[ -n "$h" ]] && sql+="ALTER USER 'root'@'$h' IDENTIFIED BY '$MYSQL_ROOT_PASSWORD';"
  done <<<"$hosts"
  if [[ -n "$sql" ]]; then mariadb_sql "$sql" || die "mariadb: setting root passwords failed"; fi
}

start_s3() {
  # Each folder under the data dir is a bucket. SLUICE_S3_DATA picks another data dir (the test
  # run uses a fresh one: s3s-fs answers a LIST by walking the whole bucket, so a bucket that
  # grows run after run makes every LIST slower).
  local data="${SLUICE_S3_DATA:-$DIR/s3}"
  mkdir -p "$data/$S3_BUCKET"
  spawn s3 s3s-fs --host 127.0.0.1 --port "$S3_PORT" \
    --access-key "$S3_ACCESS_KEY" --secret-key "$S3_SECRET_KEY" "$data"
  wait_ready s3 probe_s3
}

start_worker() {
  # Same env contract as the article's debezium/connect container, plus the REST listener.
  spawn worker env \
    BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT" GROUP_ID=1 \
    CONFIG_STORAGE_TOPIC=my_connect_configs OFFSET_STORAGE_TOPIC=my_connect_offsets \
    STATUS_STORAGE_TOPIC=my_connect_statuses \
    REST_PORT="$SLUICE_PORT" REST_HOST_NAME=127.0.0.1 \
    ADVERTISED_HOST_NAME=127.0.0.1 ADVERTISED_PORT="$SLUICE_PORT" \
    CONNECT_LISTENERS="http://127.0.0.1:$SLUICE_PORT" \
    "$SLUICE_BIN"
  wait_ready worker probe_worker
}

worker_wanted() { [[ "${SLUICE_SKIP_WORKER:-0}" != 1 && -x "$SLUICE_BIN" ]]; }

# ---------------------------------------------------------------------------------------------
# commands

# state svc -> up | starting | down | stale | foreign | skipped
state() {
  local svc="$1" pid port
  pid="$(read_pid "$svc")"
  port="$(port_of "$svc")"
  if alive "$pid"; then
    if "probe_$svc" && owns_port "$pid" "$port"; then echo up; else echo starting; fi
  elif port_open "$port"; then
    echo foreign
  elif [[ -n "$pid" ]]; then
    echo stale
  elif [[ "$svc" == worker ]] && ! worker_wanted; then
    echo skipped
  else
    echo down
  fi
}

up_one() {
  local svc="$1" pid port
  pid="$(read_pid "$svc")"
  port="$(port_of "$svc")"
  if [[ "$svc" == worker ]] && ! worker_wanted; then
    if [[ "${SLUICE_SKIP_WORKER:-0}" == 1 ]]; then log "worker: skipped (SLUICE_SKIP_WORKER=1)"
    else log "worker: skipped ($SLUICE_BIN not built; run 'make build')"; fi
    return 0
  fi
  local running=0
  if alive "$pid"; then
    if port_open "$port" && owns_port "$pid" "$port"; then
      log "$svc: already running (pid $pid, port $port)"
      running=1
    elif wait_ready "$svc" "probe_$svc"; then
      # Ours but was not answering yet (e.g. a concurrent `up`): waiting beat starting a second.
      running=1
    elif alive "$pid"; then
      die "$svc: pid $pid is alive but not ready; try 'scripts/stack.sh down $svc'"
    fi # else it died meanwhile: start it below
  fi
  if ((!running)); then
    if port_open "$port"; then
      local other; other="$(port_pid "$port")"
      die "$svc: port $port is taken by another process${other:+ (pid $other: $(ps -o comm= -p "$other" 2>/dev/null))}; stop it or set the port env var"
    fi
    case "$svc" in
      tansu) command -v tansu >/dev/null || die "tansu missing: run 'scripts/stack.sh install'" ;;
      mariadb) command -v mariadbd >/dev/null || die "mariadbd missing: run 'scripts/stack.sh install'" ;;
      s3) command -v s3s-fs >/dev/null || die "s3s-fs missing: run 'scripts/stack.sh install'" ;;
    esac
    "start_$svc" || die "$svc failed to start (log: $LOGS/$svc.log)"
  fi
  if [[ "$svc" == mariadb ]]; then mariadb_accounts; fi
}

down_one() {
  local svc="$1" pid i
  pid="$(read_pid "$svc")"
  if ! alive "$pid"; then
    rm -f "$(pidfile "$svc")"
    return 0
  fi
  log "$svc: stopping pid $pid"
  # Signal the whole process group (spawn made the service a session leader) so helpers go too.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    alive "$pid" || break
    sleep 0.1
  done
  if alive "$pid"; then
    log "$svc: still alive after ${STOP_TIMEOUT}s, SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
  fi
  rm -f "$(pidfile "$svc")"
}

cmd_up() {
  local svcs=("$@") s
  ((${#svcs[@]})) || svcs=("${ALL_SERVICES[@]}")
  # Serialize concurrent `up`/`down` on the same stack dir.
  exec 9>"$RUN/lock"
  flock 9
  for s in "${svcs[@]}"; do up_one "$(canon "$s")"; done
  cmd_ps
}

cmd_down() {
  local asked=() s a
  for a in "$@"; do asked+=("$(canon "$a")"); done
  exec 9>"$RUN/lock"
  flock 9
  # Reverse start order whatever the argument order: clients first, so a worker still has its
  # broker while it shuts down gracefully (else it waits for it until SIGKILL).
  for s in worker s3 mariadb tansu; do
    if ((${#asked[@]} == 0)) || [[ " ${asked[*]} " == *" $s "* ]]; then down_one "$s"; fi
  done
}

cmd_ps() {
  local s
  printf '%-8s %-8s %-9s %-6s %s\n' NAME PID STATE PORT LOG
  for s in "${ALL_SERVICES[@]}"; do
    local pid st
    pid="$(read_pid "$s")"; st="$(state "$s")"
    alive "$pid" || pid="-"
    printf '%-8s %-8s %-9s %-6s %s\n' "$s" "$pid" "$st" "$(port_of "$s")" "$LOGS/$s.log"
  done
}

cmd_status() {
  local svcs=("$@") s st rc=0
  if ((${#svcs[@]} == 0)); then
    svcs=(tansu mariadb s3)
    if worker_wanted || alive "$(read_pid worker)"; then svcs+=(worker); fi
  fi
  for s in "${svcs[@]}"; do
    s="$(canon "$s")"
    st="$(state "$s")"
    printf '%-8s %s\n' "$s" "$st"
    [[ "$st" == up ]] || rc=1
  done
  return "$rc"
}

cmd_logs() {
  local follow=() files=() a
  local lines="${LINES_TAIL:-100}"
  for a in "$@"; do
    case "$a" in
      -f | --follow) follow=(-F) ;;
      *) files+=("$LOGS/$(canon "$a").log") ;;
    esac
  done
  if ((${#files[@]} == 0)); then
    for a in "${ALL_SERVICES[@]}"; do [[ -f "$LOGS/$a.log" ]] && files+=("$LOGS/$a.log"); done
  fi
  ((${#files[@]})) || { log "no logs yet in $LOGS"; return 0; }
  tail -n "$lines" "${follow[@]}" "${files[@]}"
}

# Long, quiet installs log to a file; on failure show its tail.
run_logged() {
  local name="$1"; shift
  local lf="$LOGS/install-$name.log"
  if ! "$@" >"$lf" 2>&1; then
    tail -n 40 "$lf" >&2
    die "installing $name failed (full log: $lf)"
  fi
}

cmd_install() {
  exec 8>"$RUN/install.lock"
  flock 8
  local t0=$SECONDS
  # apt first: it is quick and mostly network-bound, then the CPU-bound cargo builds.
  local apt_pkgs=()
  command -v mariadbd >/dev/null || apt_pkgs+=(mariadb-server)
  command -v mariadb >/dev/null || apt_pkgs+=(mariadb-client)
  command -v curl >/dev/null || apt_pkgs+=(curl)
  command -v openssl >/dev/null || apt_pkgs+=(openssl)
  command -v ss >/dev/null || apt_pkgs+=(iproute2)
  # librdkafka is built with TLS (OpenSSL), SASL/GSSAPI (Cyrus SASL) and zstd, and with curl
  # for OIDC, linked from curl-sys's bundled build on the same OpenSSL. libcurl4-openssl-dev is
  # still needed: rdkafka-sys points librdkafka's configure at curl-sys's headers but not at its
  # library, and configure's `-lcurl` link check decides whether OIDC is built at all. Without
  # it the build succeeds and OIDC logins fail ("OAuth/OIDC depends on libcurl"; the
  # oidc_login test). The binary does not link the system libcurl.
  # stunnel4 puts TLS in front of tansu for the Kafka TLS tests.
  local dev
  for dev in libssl-dev libsasl2-dev libzstd-dev libcurl4-openssl-dev; do
    dpkg -s "$dev" >/dev/null 2>&1 || apt_pkgs+=("$dev")
  done
  command -v stunnel4 >/dev/null || apt_pkgs+=(stunnel4)
  if ((${#apt_pkgs[@]})); then
    log "apt-get install ${apt_pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # apt must not start the system mariadb service: it would take 3306 from ours. The image
    # ships a policy-rc.d that forbids starting services; supply one for the apt run if not.
    local prc=/usr/sbin/policy-rc.d made_prc=0
    if [[ ! -e "$prc" ]]; then printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod +x "$prc" && made_prc=1; fi
    local apt_rc=0
    (run_logged apt bash -c "apt-get update -q && apt-get install -y -q ${apt_pkgs[*]}") || apt_rc=$?
    if ((made_prc)); then rm -f "$prc"; fi
    ((apt_rc == 0)) || exit "$apt_rc"
  else
    log "mariadb, curl, ss: present"
  fi
  if command -v s3s-fs >/dev/null; then log "s3s-fs: present ($(command -v s3s-fs))"
  else
    log "cargo install s3s-fs@$S3S_FS_VERSION (about 2 min on 2 cores)"
    run_logged s3s-fs cargo install "s3s-fs@$S3S_FS_VERSION" --locked --features binary
  fi
  if command -v tansu >/dev/null; then log "tansu: present ($(command -v tansu))"
  else
    # Without these features tansu has no storage engine and fails at start.
    log "cargo install tansu@$TANSU_VERSION (about 10 min on 2 cores)"
    run_logged tansu cargo install "tansu@$TANSU_VERSION" --locked --features dynostore,libsql
  fi
  log "install done in $((SECONDS - t0))s"
}

main() {
  mkdir -p "$LOGS" "$RUN"
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    install) cmd_install "$@" ;;
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    ps) cmd_ps ;;
    status) cmd_status "$@" ;;
    logs) cmd_logs "$@" ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
}

main "$@"
