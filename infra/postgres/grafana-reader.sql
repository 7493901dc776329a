-- grafana_reader: the role of Grafana's "wabulk-archive" data source (infra/grafana/provisioning/
-- datasources/archive.yml). It reads the archive and nothing else: SELECT on every table of schema
-- public, those `wabulk archive migrate` creates later included (default privileges of the role that
-- runs this file, which must be the role that runs the migrations: wabulk in docker-compose), and
-- every transaction it opens is read-only.
-- Run by initdb/10-grafana-reader.sh with psql -v reader_password=…; test/monitoring/
-- campaigns-dashboard.test.ts runs it against a scratch database and queries as that role.
CREATE ROLE grafana_reader LOGIN PASSWORD :'reader_password';
ALTER ROLE grafana_reader SET default_transaction_read_only = on;
ALTER ROLE grafana_reader SET statement_timeout = '30s';
GRANT USAGE ON SCHEMA public TO grafana_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO grafana_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO grafana_reader;
