# A throwaway PostgreSQL cluster for the tests: sourced by .ci/run (and usable by hand:
# `source .ci/postgres.sh && start_postgres`, later `stop_postgres`).
#
# start_postgres installs PostgreSQL from the distribution's packages when no initdb is
# found, creates a cluster in a temporary directory owned by an unprivileged user (initdb
# refuses root), starts it on 127.0.0.1 at a free port with trust authentication, and exports
# DIGICERT_TEST_POSTGRES. The package's own cluster, if it started one, is left alone.

postgres_bin() {
  # Nothing found is an empty answer, not a failure (callers run under `set -e -o pipefail`).
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true
}

start_postgres() {
  local bin user port attempt
  bin=$(postgres_bin)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL is not installed: installing it from the distribution's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin=$(postgres_bin)
  fi
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "no PostgreSQL server binaries after installing" >&2
    return 1
  fi
  user=$(id -un)
  if [ "$(id -u)" = 0 ]; then
    user=postgres
    id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home "$user"
  fi
  DIGICERT_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/digicert-pg.XXXXXX")
  chown "$user" "$DIGICERT_PG_DIR"
  DIGICERT_PG_RUN=(runuser -u "$user" --)
  [ "$(id -u)" = 0 ] || DIGICERT_PG_RUN=()
  "${DIGICERT_PG_RUN[@]}" "$bin/initdb" -D "$DIGICERT_PG_DIR/data" -U postgres -A trust \
    -E UTF8 --no-sync >"$DIGICERT_PG_DIR/initdb.log" 2>&1 || {
    cat "$DIGICERT_PG_DIR/initdb.log" >&2
    return 1
  }
  export DIGICERT_PG_DIR
  DIGICERT_PG_CTL="$bin/pg_ctl"
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    if "${DIGICERT_PG_RUN[@]}" "$DIGICERT_PG_CTL" -D "$DIGICERT_PG_DIR/data" \
      -l "$DIGICERT_PG_DIR/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $DIGICERT_PG_DIR -c max_connections=300" \
      start >/dev/null; then
      export DIGICERT_TEST_POSTGRES="postgres://postgres@127.0.0.1:$port/postgres"
      echo "PostgreSQL ($("$bin/postgres" --version)) on 127.0.0.1:$port, in $DIGICERT_PG_DIR"
      return 0
    fi
  done
  cat "$DIGICERT_PG_DIR/server.log" >&2
  return 1
}

stop_postgres() {
  local dir=${DIGICERT_PG_DIR:-} bin owner
  if [ -z "$dir" ] || [ ! -d "$dir/data" ]; then
    return 0
  fi
  bin=$(postgres_bin)
  owner=$(stat -c %U "$dir")
  if [ "$(id -u)" = 0 ] && [ "$owner" != root ]; then
    runuser -u "$owner" -- "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  else
    "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}
