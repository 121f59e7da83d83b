-- The build index: builds recorded by `nixci-artifacts record`, the evaluations they
-- belong to, and copies of their artifact files. Names are compared byte-wise (COLLATE "C")
-- so that a prefix LIKE, as job globs become, walks the same indexes as equality.

CREATE TABLE nixci.evals (
	id       bigserial PRIMARY KEY,
	key      text NOT NULL UNIQUE,            -- record.Eval.Key(), or implicit:<hash> for a commit seen only in builds
	project  text COLLATE "C" NOT NULL,
	jobset   text COLLATE "C" NOT NULL,
	commit   text NOT NULL DEFAULT '',
	time     timestamptz NOT NULL,
	nr_jobs  integer NOT NULL DEFAULT 0,      -- jobs that evaluated to a derivation
	implicit boolean NOT NULL DEFAULT false   -- made for a commit of recorded builds, not imported
);
CREATE INDEX evals_jobset_time ON nixci.evals (project, jobset, time DESC, id DESC);
CREATE INDEX evals_jobset_commit ON nixci.evals (project, jobset, commit);

CREATE TABLE nixci.eval_jobs (
	eval_id  bigint NOT NULL REFERENCES nixci.evals ON DELETE CASCADE,
	attr     text COLLATE "C" NOT NULL,
	drv_path text NOT NULL DEFAULT '',
	nix_name text NOT NULL DEFAULT '',
	system   text NOT NULL DEFAULT '',
	out_path text NOT NULL DEFAULT '',
	error    text NOT NULL DEFAULT '',
	PRIMARY KEY (eval_id, attr)
);
CREATE INDEX eval_jobs_drv_path ON nixci.eval_jobs (drv_path) WHERE drv_path <> '';

CREATE TABLE nixci.builds (
	id       bigserial PRIMARY KEY,
	key      text NOT NULL UNIQUE,            -- record.Record.Key() as recorded, kept when the build is renamed
	project  text COLLATE "C" NOT NULL DEFAULT '',
	jobset   text COLLATE "C" NOT NULL DEFAULT '',
	job      text COLLATE "C" NOT NULL,
	named_by text NOT NULL,                   -- record.NamedBy*: an eval import renames 'derivation' builds
	drv_path text NOT NULL DEFAULT '',
	nix_name text NOT NULL DEFAULT '',
	system   text NOT NULL DEFAULT '',
	commit   text NOT NULL DEFAULT '',
	status   integer NOT NULL,
	time     timestamptz NOT NULL,
	host     text NOT NULL DEFAULT '',
	eval_id  bigint REFERENCES nixci.evals ON DELETE SET NULL
);
CREATE INDEX builds_jobset_job_time ON nixci.builds (project, jobset, job, time DESC, id DESC);
CREATE INDEX builds_job_time ON nixci.builds (job, time DESC, id DESC);
CREATE INDEX builds_eval ON nixci.builds (eval_id) WHERE eval_id IS NOT NULL;
CREATE INDEX builds_unnamed_drv ON nixci.builds (drv_path) WHERE named_by = 'derivation' AND drv_path <> '';

CREATE TABLE nixci.outputs (
	build_id bigint NOT NULL REFERENCES nixci.builds ON DELETE CASCADE,
	name     text NOT NULL,
	path     text NOT NULL,
	PRIMARY KEY (build_id, name)
);

-- Artifact files by content: a file recorded by many builds is kept once.
CREATE TABLE nixci.contents (
	sha256 text PRIMARY KEY,
	data   bytea NOT NULL
);

CREATE TABLE nixci.products (
	build_id bigint NOT NULL REFERENCES nixci.builds ON DELETE CASCADE,
	nr       integer NOT NULL,                -- position in the record, the order names are matched in
	name     text NOT NULL,
	path     text NOT NULL DEFAULT '',
	size     bigint NOT NULL DEFAULT 0,
	sha256   text,                            -- NULL when unknown; no contents row when only the hash is known
	PRIMARY KEY (build_id, nr)
);

-- A metric carries its build's job and time (as Hydra's buildmetrics do), so that a series
-- is one index-only range scan; an eval import renaming the build renames its metrics.
CREATE TABLE nixci.metrics (
	build_id bigint NOT NULL REFERENCES nixci.builds ON DELETE CASCADE,
	name     text COLLATE "C" NOT NULL,
	value    double precision NOT NULL,       -- NaN and ±Infinity are kept as they are
	unit     text NOT NULL DEFAULT '',
	project  text COLLATE "C" NOT NULL DEFAULT '',
	jobset   text COLLATE "C" NOT NULL DEFAULT '',
	job      text COLLATE "C" NOT NULL,
	time     timestamptz NOT NULL,
	PRIMARY KEY (build_id, name)
);
CREATE INDEX metrics_jobset_job_time ON nixci.metrics (project, jobset, job, name, time DESC, build_id DESC) INCLUDE (value, unit);
CREATE INDEX metrics_job_time ON nixci.metrics (job, name, time DESC, build_id DESC) INCLUDE (value, unit);
