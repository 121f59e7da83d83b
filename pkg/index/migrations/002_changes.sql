-- A counter of changes: every writer adds one right after its transaction commits (after,
-- so that a reader seeing the new number also sees the committed rows). Readers read it
-- with one cheap statement per query and keep what they read while it stays the same.
-- A one-row table rather than a sequence: a sequence's value reaches a replica only every
-- 32 calls (it is logged ahead), a committed row at once and in commit order.
CREATE TABLE IF NOT EXISTS nixci.changes (
	one boolean PRIMARY KEY DEFAULT true CHECK (one), -- the only row
	n   bigint NOT NULL DEFAULT 0
);
INSERT INTO nixci.changes DEFAULT VALUES ON CONFLICT DO NOTHING;
-- Readers granted SELECT on the index's tables before this table existed read it too; it
-- says nothing but how often the index changed, and only to roles that may use the schema.
GRANT SELECT ON nixci.changes TO PUBLIC;
