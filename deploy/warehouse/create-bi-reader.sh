#!/bin/sh
# First boot of the warehouse container (docker-entrypoint-initdb.d): create the bi_reader
# role Metabase logs in as, so it can connect before the first nightly publish, locked down
# as thinline/roles.py does it (every publish checks it again and keeps its password in step
# with THINLINE_BI_READER_PASSWORD; publish grants it SELECT on analytics only):
# * no TEMPORARY or CREATE on the warehouse database, no CREATE in its schemas, no
#   large-object functions, no CONNECT to the other databases (taken from PUBLIC: on first
#   boot the only other role is the superuser, which needs no grant);
# * session limits on the role (the timeouts are defaults a session may lift; publish ends a
#   BI session that holds it up; temp_file_limit only a superuser may lift).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=password="$THINLINE_BI_READER_PASSWORD" <<'SQL'
select not exists (select from pg_roles where rolname = 'bi_reader') as missing \gset
\if :missing
create role bi_reader login password :'password';
\endif
alter role bi_reader set statement_timeout = '10min';
alter role bi_reader set idle_in_transaction_session_timeout = '10min';
alter role bi_reader set temp_file_limit = '1GB';
alter role bi_reader set default_transaction_read_only = on;
do $lockdown$
declare
    item record;
begin
    execute format('grant connect on database %I to bi_reader', current_database());
    execute format('revoke temporary, create on database %I from public, bi_reader',
        current_database());
    for item in
        select datname from pg_database where datallowconn and datname <> current_database()
    loop
        execute format('revoke connect on database %I from public', item.datname);
    end loop;
    for item in
        select nspname from pg_namespace
        where nspname not like 'pg\_%' and nspname <> 'information_schema'
    loop
        execute format('revoke create on schema %I from public, bi_reader', item.nspname);
    end loop;
    for item in
        select format('pg_catalog.%I(%s)', proname, pg_get_function_identity_arguments(oid)) as f
        from pg_proc
        where pronamespace = 'pg_catalog'::regnamespace
            and (proname like 'lo\_%' or proname in ('loread', 'lowrite'))
    loop
        execute format('revoke execute on function %s from public, bi_reader', item.f);
    end loop;
end
$lockdown$;
SQL
