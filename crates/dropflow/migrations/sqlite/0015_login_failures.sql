-- Failed dashboard logins per e-mail and per network address, so every dropflow process
-- sharing the database counts the same failures (dashboard::limiter). Keys are SHA-256
-- digests: the table is not a list of the addresses people typed.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures BIGINT NOT NULL
);
CREATE INDEX login_failures_by_window ON login_failures (window_start);
