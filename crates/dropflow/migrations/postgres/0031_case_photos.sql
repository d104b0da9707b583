-- The customer's photos of an after-sale case (issue 14: "with a reason, the customer's
-- photos and note"). Kept in the database, like a store's logo: written in the transaction
-- that records them on the case's timeline, seen by every process and every backup, with no
-- file name to sanitise. Only PNG, JPEG and WebP, recognised by their bytes; content_type is
-- what the bytes are (image/png | image/jpeg | image/webp), never what the client said.
-- The uploader's file name is not kept: it is not needed and may carry personal data.
CREATE TABLE case_photos (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    data BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX case_photos_by_case ON case_photos (case_id, id);
