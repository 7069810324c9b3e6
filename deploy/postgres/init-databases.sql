-- Run once by the PostgreSQL container on an empty data directory (docker-entrypoint-initdb.d):
-- one database per owner of data. With a managed database, create the same four yourself.
CREATE DATABASE tandem_oa OWNER tandem;
CREATE DATABASE tandem_erp OWNER tandem;
CREATE DATABASE tandem_policy OWNER tandem;
CREATE DATABASE tandem_audit OWNER tandem;
