-- podpass's storage in PostgreSQL: one table of sealed values, keyed by path.
--
-- `podpass serve` runs this itself on every start (it is idempotent). Operators who keep DDL
-- away from the service's role run it once as an owner, then grant the service's role
-- SELECT, INSERT, UPDATE and DELETE on podpass_kv.
--
-- Values are XChaCha20-Poly1305 sealed by podpass before they are sent: the database never
-- holds plaintext. Keys (secret paths, role and policy names, token hashes) are not secret,
-- as in Vault's storage. COLLATE "C" makes the primary key's order the byte order, so a
-- prefix listing is one index range scan (key >= prefix AND key < prefix with its last
-- character incremented). podpass's connections set enable_seqscan = off for their session, so
-- a plan cached while the table was small never scans it whole once it has grown.
CREATE TABLE IF NOT EXISTS podpass_kv (
    key   text COLLATE "C" PRIMARY KEY,
    value bytea NOT NULL
);
