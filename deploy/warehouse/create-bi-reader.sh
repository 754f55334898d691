#!/bin/sh
# First boot of the warehouse container (docker-entrypoint-initdb.d): create the bi_reader
# role Metabase logs in as, so it can connect before the first nightly publish. Publish then
# grants it SELECT on analytics only (thinline/roles.py) and keeps its password in step with
# THINLINE_BI_READER_PASSWORD.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$THINLINE_BI_READER_PASSWORD" <<'SQL'
create role bi_reader login password :'password';
SQL
