-- 0001_initial: the national hub's schema (posts, tokens, custody, records, case facts,
-- originals, photo hashes, cross-post links, refused pushes).
-- Append-only tables refuse UPDATE and DELETE by trigger; nothing here is ever dropped.

CREATE TABLE posts (
    name TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_push_at TIMESTAMPTZ
);

CREATE TABLE tokens (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('post', 'analyst', 'admin')),
    post TEXT REFERENCES posts(name),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ,
    CHECK ((role = 'post') = (post IS NOT NULL))
);
CREATE UNIQUE INDEX tokens_active_name ON tokens(name) WHERE revoked_at IS NULL;

-- Each post's custody log, entry for entry as the post wrote it (details: canonical JSON).
CREATE TABLE custody (
    post TEXT NOT NULL REFERENCES posts(name),
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    record_id TEXT,
    sha256 TEXT,
    details TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    record_sha256 TEXT,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post, seq),
    UNIQUE (post, entry_hash)
);
CREATE INDEX custody_record ON custody(post, record_id);

-- Every version of a record the hub received (its hash is logged in the post's custody).
CREATE TABLE record_versions (
    post TEXT NOT NULL REFERENCES posts(name),
    id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post, id, content_hash)
);

-- The newest version of each record, with the columns analysts filter on.
CREATE TABLE records (
    post TEXT NOT NULL REFERENCES posts(name),
    id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    officer TEXT NOT NULL,
    case_ref TEXT,
    sha256 TEXT NOT NULL,
    original_sha256 TEXT,
    label TEXT,
    decision TEXT,
    idempotency_key TEXT,
    body TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post, id)
);
CREATE INDEX records_case ON records(post, case_ref);
CREATE INDEX records_label ON records(label);
CREATE INDEX records_created ON records(created_at);

-- Every photo file a record names (its photo, its original, the item's added photos).
CREATE TABLE record_photos (
    post TEXT NOT NULL,
    record_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (post, record_id, sha256)
);
CREATE INDEX record_photos_sha256 ON record_photos(sha256);

-- Seizure facts of a case, each version as logged (action "case_facts") at its post.
CREATE TABLE case_facts (
    post TEXT NOT NULL REFERENCES posts(name),
    case_ref TEXT NOT NULL,
    version INTEGER NOT NULL,
    facts TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (post, case_ref, version)
);

-- Original files in the store (content-addressed under --store).
CREATE TABLE originals (
    sha256 TEXT PRIMARY KEY,
    bytes BIGINT NOT NULL,
    first_post TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Difference hashes (64 bits as signed BIGINT) of the originals that decode as images.
CREATE TABLE photo_hashes (
    sha256 TEXT PRIMARY KEY REFERENCES originals(sha256),
    dhash BIGINT,
    mirror_dhash BIGINT,
    note TEXT
);

-- Cross-post (or cross-case) links between two records, with the reason.
CREATE TABLE links (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('same_original', 'same_listing_photo', 'near_duplicate')),
    a_post TEXT NOT NULL,
    a_record TEXT NOT NULL,
    a_sha256 TEXT NOT NULL,
    b_post TEXT NOT NULL,
    b_record TEXT NOT NULL,
    b_sha256 TEXT NOT NULL,
    distance INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (kind, a_post, a_record, b_post, b_record)
);

-- Pushes the hub refused (a rewritten history, a record that does not match its hash...).
CREATE TABLE refusals (
    id BIGSERIAL PRIMARY KEY,
    post TEXT,
    at TIMESTAMPTZ NOT NULL DEFAULT now(),
    code TEXT NOT NULL,
    message TEXT NOT NULL
);

CREATE FUNCTION hub_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the hub table % is append-only', TG_TABLE_NAME;
END;
$$;

CREATE FUNCTION hub_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'nothing is deleted from the hub table %', TG_TABLE_NAME;
END;
$$;

CREATE TRIGGER custody_append_only BEFORE UPDATE OR DELETE ON custody
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
CREATE TRIGGER record_versions_append_only BEFORE UPDATE OR DELETE ON record_versions
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
CREATE TRIGGER case_facts_append_only BEFORE UPDATE OR DELETE ON case_facts
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
CREATE TRIGGER originals_append_only BEFORE UPDATE OR DELETE ON originals
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
CREATE TRIGGER refusals_append_only BEFORE UPDATE OR DELETE ON refusals
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
CREATE TRIGGER links_append_only BEFORE UPDATE OR DELETE ON links
    FOR EACH ROW EXECUTE FUNCTION hub_append_only();
CREATE TRIGGER records_no_delete BEFORE DELETE ON records
    FOR EACH ROW EXECUTE FUNCTION hub_no_delete();
CREATE TRIGGER record_photos_no_delete BEFORE DELETE ON record_photos
    FOR EACH ROW EXECUTE FUNCTION hub_no_delete();
CREATE TRIGGER tokens_no_delete BEFORE DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION hub_no_delete();
CREATE TRIGGER posts_no_delete BEFORE DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION hub_no_delete();
