-- The part of Hydra's PostgreSQL schema (version 87) that pkg/hydradb reads, written from
-- Hydra's documented DDL (subprojects/hydra/sql/hydra.sql): the table and column names,
-- types, keys and the indexes the plugin's queries rely on are Hydra's. Tables the plugin
-- never reads (users, build steps, caches of inputs, ...) and Hydra's NOTIFY triggers are
-- left out. Loaded into a fresh database for every test run.

create table schemaversion (version integer not null);

create table projects (
    name         text primary key not null,
    displayname  text not null,
    description  text,
    enabled      integer not null default 1,
    hidden       integer not null default 0,
    owner        text not null,
    homepage     text,
    declfile     text,
    decltype     text,
    declvalue    text,
    enable_dynamic_run_command boolean not null default false
);

create table jobsets (
    name             text not null,
    id               serial not null,
    project          text not null references projects(name) on delete cascade on update cascade,
    description      text,
    nixexprinput     text,
    nixexprpath      text,
    errormsg         text,
    errortime        integer,
    lastcheckedtime  integer,
    triggertime      integer,
    enabled          integer not null default 1,
    enableemail      integer not null default 1,
    hidden           integer not null default 0,
    emailoverride    text not null,
    keepnr           integer not null default 3,
    checkinterval    integer not null default 300,
    schedulingshares integer not null default 100,
    fetcherrormsg    text,
    forceeval        boolean,
    starttime        integer,
    type             integer not null default 0, -- 0 legacy, 1 flake
    flake            text,
    enable_dynamic_run_command boolean not null default false,
    check ((type = 0) = (nixexprinput is not null and nixexprpath is not null and flake is null)),
    check ((type = 1) = (nixexprinput is null and nixexprpath is null and flake is not null)),
    primary key (project, name),
    constraint jobsets_id_unique unique (id)
);

create table jobsetrenames (
    project text not null references projects(name) on delete cascade on update cascade,
    from_   text not null,
    to_     text not null,
    primary key (project, from_),
    foreign key (project, to_) references jobsets(project, name) on delete cascade on update cascade
);

create table builds (
    id             serial primary key not null,
    finished       integer not null,           -- 0 scheduled, 1 finished
    timestamp      integer not null,           -- queued
    jobset_id      integer not null references jobsets(id) on delete cascade,
    job            text not null,
    nixname        text,
    description    text,
    drvpath        text not null,
    system         text not null,
    license        text,
    homepage       text,
    maintainers    text,
    maxsilent      integer default 3600,
    timeout        integer default 36000,
    ischannel      integer not null default 0,
    iscurrent      integer default 0,
    priority       integer not null default 0,
    globalpriority integer not null default 0,
    starttime      integer,
    stoptime       integer,
    iscachedbuild  integer,
    buildstatus    integer,
    size           bigint,
    closuresize    bigint,
    releasename    text,
    keep           integer not null default 0,
    notificationpendingsince integer,
    check (finished = 0 or (stoptime is not null and stoptime != 0)),
    check (finished = 0 or (starttime is not null and starttime != 0))
);

create table buildoutputs (
    build integer not null references builds(id) on delete cascade,
    name  text not null,
    path  text,
    primary key (build, name)
);

create table buildproducts (
    build       integer not null references builds(id) on delete cascade,
    productnr   integer not null,
    type        text not null,
    subtype     text not null,
    filesize    bigint,
    sha256hash  text,
    path        text,
    name        text not null,
    defaultpath text,
    primary key (build, productnr)
);

create table buildmetrics (
    build     integer not null references builds(id) on delete cascade,
    name      text not null,
    unit      text,
    value     double precision not null,
    project   text not null references projects(name) on update cascade,
    jobset    text not null,
    job       text not null,
    timestamp integer not null,                -- the build's queue time
    primary key (build, name),
    foreign key (project, jobset) references jobsets(project, name) on update cascade
);

create table evaluationerrors (
    id        serial primary key not null,
    errormsg  text,
    errortime integer
);

create table jobsetevals (
    id                 serial primary key not null,
    jobset_id          integer not null references jobsets(id) on delete cascade,
    evaluationerror_id integer references evaluationerrors(id) on delete set null,
    timestamp          integer not null,
    checkouttime       integer not null,
    evaltime           integer not null,
    hasnewbuilds       integer not null,
    hash               text not null,
    nrbuilds           integer,
    nrsucceeded        integer,
    flake              text,
    nixexprinput       text,
    nixexprpath        text
);

create table jobsetevalinputs (
    eval           integer not null references jobsetevals(id) on delete cascade,
    name           text not null,
    altnr          integer not null,
    type           text not null,
    uri            text,
    revision       text,
    shortrevlength smallint,
    value          text,
    dependency     integer references builds(id),
    path           text,
    sha256hash     text,
    primary key (eval, name, altnr)
);

create table jobsetevalmembers (
    eval  integer not null references jobsetevals(id) on delete cascade,
    build integer not null references builds(id) on delete cascade,
    isnew integer not null,
    primary key (eval, build)
);

create table aggregateconstituents (
    aggregate   integer not null references builds(id) on delete cascade,
    constituent integer not null references builds(id) on delete cascade,
    primary key (aggregate, constituent)
);

-- Hydra's indexes on these tables (names as in hydra.sql; Postgres folds them to lowercase).
create index IndexBuildMetricsOnJobTimestamp on buildmetrics(project, jobset, job, timestamp desc);
create index IndexBuildProducstOnBuildAndType on buildproducts(build, type);
create index IndexBuildProductsOnBuild on buildproducts(build);
create index IndexBuildsOnFinished on builds(finished) where finished = 0;
create index IndexBuildsOnIsCurrent on builds(iscurrent) where iscurrent = 1;
create index IndexBuildsJobsetIdCurrent on builds(jobset_id) where iscurrent = 1;
create index IndexBuildsOnTimestamp on builds(timestamp);
create index IndexBuildsOnFinishedStopTime on builds(finished, stoptime desc);
create index IndexBuildsOnJobsetIdFinishedId on builds(jobset_id, job, finished, id desc);
create index IndexFinishedSuccessfulBuilds on builds(jobset_id, job, finished, buildstatus, id desc)
    where buildstatus = 0 and finished = 1;
create index IndexBuildsOnDrvPath on builds(drvpath);
create index IndexJobsetEvalMembersOnBuild on jobsetevalmembers(build);
create index IndexJobsetEvalMembersOnEval on jobsetevalmembers(eval);
create index IndexProjectsOnEnabled on projects(enabled);
create index IndexBuildOutputsPath on buildoutputs using hash(path);
create index IndexBuildsOnKeep on builds(keep) where keep = 1;
create index IndexJobsetEvalsOnJobsetId on jobsetevals(jobset_id, id desc) where hasnewbuilds = 1;
create index IndexJobsetIdEvals on jobsetevals(jobset_id) where hasnewbuilds = 1;

insert into schemaversion (version) values (87);
