#!/bin/sh
# The compose test's stand-in for the postgres image's entrypoint (no registry is reachable,
# so its images are built from Debian's packages): what docker-compose.yml relies on from
# https://hub.docker.com/_/postgres ("Environment Variables", "Initialization scripts").
# On first boot (an empty PGDATA): a cluster whose superuser is POSTGRES_USER with password
# POSTGRES_PASSWORD (scram over TCP), database POSTGRES_DB, then every
# /docker-entrypoint-initdb.d/*.sh run as postgres with this environment; then the server on
# every address of the container (its own podman network).
set -eu
PGDATA=/var/lib/postgresql/data
mkdir -p "$PGDATA" /run/postgresql
chown postgres "$PGDATA" /run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  printf '%s\n' "$POSTGRES_PASSWORD" > /run/postgresql/pw
  chown postgres /run/postgresql/pw
  runuser -u postgres -- initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile=/run/postgresql/pw \
    --encoding=UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm /run/postgresql/pw
  echo "host all all 0.0.0.0/0 scram-sha-256" >> "$PGDATA/pg_hba.conf"
  runuser -u postgres -- pg_ctl -D "$PGDATA" -o "-c listen_addresses=''" -w start >/dev/null
  if [ "$POSTGRES_DB" != postgres ]; then
    runuser -u postgres -- createdb -U "$POSTGRES_USER" "$POSTGRES_DB"
  fi
  for script in /docker-entrypoint-initdb.d/*.sh; do
    [ -e "$script" ] && runuser -u postgres -- sh "$script"
  done
  runuser -u postgres -- pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*'
