import { DataSourceJsonData, SelectableValue } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** What a query asks for; see the query contract in the design notes. */
export type QueryType = 'artifact' | 'metric' | 'builds' | 'evals' | 'jobs' | 'compare' | 'aggregate';

/** Which build time places a point on the time axis. */
export type TimeField = 'timestamp' | 'stoptime';

/** A panel target as stored in the dashboard JSON and sent to the backend. */
export interface NixQuery extends DataQuery {
  queryType?: QueryType;
  project?: string;
  jobset?: string;
  job?: string;
  /** build product file name (`bench.json`) or path inside the output (`results/bench.json`) */
  product?: string;
  /** gjson path into the artifact, e.g. `results.throughput` or `benchmarks.#.mean` */
  path?: string;
  /** metric name from `nix-support/hydra-metrics`, or a glob */
  metric?: string;
  /** at most this many builds, newest first */
  limit?: number;
  timeField?: TimeField;
  /** regression view (artifact, metric): baseline, change against it, and a flag */
  regression?: boolean;
  /** the baseline is the median of this many earlier builds (default 10) */
  baselineBuilds?: number;
  /** percent of change against the baseline that counts as a regression (default 5) */
  threshold?: number;
  better?: Better;
  /** compare: the build (id) or commit (revision prefix) to compare from */
  base?: string;
  /** compare: the build or commit to compare with; empty means the newest succeeded build */
  target?: string;
  /** jobs and aggregate: which build of a job is its latest */
  latest?: Latest;
  /** nixbuild.net: TAG:VALUE pairs, comma-separated */
  tags?: string;
}

/** Which direction of change is good (the regression view). */
export type Better = 'lower' | 'higher';

/** Which build of a job counts as its latest. */
export type Latest = 'latest' | 'latest-finished';

export const DEFAULT_QUERY: Partial<NixQuery> = {
  queryType: 'artifact',
  limit: 100,
  timeField: 'timestamp',
};

/** The free-text fields of a query: the ones template variables are interpolated into. */
export const TEXT_FIELDS = ['project', 'jobset', 'job', 'product', 'path', 'metric', 'base', 'target', 'tags'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

/** Where the datasource reads builds from. */
export type Source = 'hydra' | 'hydradb' | 'store' | 'index' | 'nixbuild';

/** Datasource settings kept in jsonData (the URL is the top-level `url`). */
export interface NixDataSourceOptions extends DataSourceJsonData {
  source?: Source;
  hydraUser?: string;
  /** PostgreSQL URL without the password (sources `hydradb` and `index`) */
  database?: string;
  storeDir?: string;
  nixStateDir?: string;
  maxConcurrency?: number;
  timeoutSeconds?: number;
  maxArtifactBytes?: number;
  /** byte bound of the instance's cache of finished builds */
  cacheBytes?: number;
  /** Grafana's HTTP TLS settings, read by the backend's HTTP client (sources hydra, nixbuild) */
  tlsSkipVerify?: boolean;
  tlsAuthWithCACert?: boolean;
}

/** Datasource settings that Grafana stores encrypted and never sends back to the browser. */
export interface NixSecureJsonData {
  hydraPassword?: string;
  databasePassword?: string;
  /** nixbuild.net API token (Biscuit, with build:read) */
  nixbuildToken?: string;
  /** PEM CA certificate for verifying the server (with tlsAuthWithCACert) */
  tlsCACert?: string;
}

export const DEFAULT_SOURCE: Source = 'hydra';

export const QUERY_TYPES: Array<SelectableValue<QueryType>> = [
  { value: 'artifact', label: 'Artifact field', description: 'A JSON field of a build product, per build' },
  { value: 'metric', label: 'Metric', description: 'A Hydra build metric (nix-support/hydra-metrics)' },
  { value: 'builds', label: 'Builds', description: 'One row per build: status, duration, revision' },
  { value: 'evals', label: 'Evaluations', description: 'Evaluations with their commit; for annotations' },
  { value: 'jobs', label: 'Jobs', description: 'Latest status of every job of a jobset' },
  {
    value: 'compare',
    label: 'Compare',
    description: "Two builds' artifact fields or metrics side by side, with the change",
  },
  { value: 'aggregate', label: 'Aggregate', description: "Constituents of an aggregate job's latest build" },
];

export const BETTER: Array<SelectableValue<Better>> = [
  { value: 'lower', label: 'Lower is better', description: 'Durations, sizes: a rise is a regression' },
  { value: 'higher', label: 'Higher is better', description: 'Throughput, coverage: a fall is a regression' },
];

export const LATEST: Array<SelectableValue<Latest>> = [
  { value: 'latest', label: 'Latest', description: 'The newest build, whatever its state' },
  { value: 'latest-finished', label: 'Latest finished', description: 'The newest build that finished' },
];

export const TIME_FIELDS: Array<SelectableValue<TimeField>> = [
  { value: 'timestamp', label: 'Queued', description: 'When the build was queued (registered, in a store)' },
  { value: 'stoptime', label: 'Finished', description: 'When the build finished' },
];

/** The lists the backend serves for pickers and variables (GET …/resources/<name>). */
export type ListResource = 'projects' | 'jobsets' | 'jobs' | 'metrics' | 'products' | 'builds';

/** A template variable's query: which list, of which project, jobset or job (may hold variables). */
export interface NixVariableQuery extends DataQuery {
  type?: ListResource;
  project?: string;
  jobset?: string;
  job?: string;
}

export const VARIABLE_QUERY_TYPES: Array<SelectableValue<ListResource>> = [
  { value: 'projects', label: 'Projects', description: 'Every visible project' },
  { value: 'jobsets', label: 'Jobsets', description: 'The jobsets of a project' },
  { value: 'jobs', label: 'Jobs', description: "The jobs of a jobset's newest evaluation" },
  { value: 'metrics', label: 'Metrics', description: "The metric names of a job's newest builds" },
  { value: 'products', label: 'Products', description: "The build products of a job's newest builds" },
  { value: 'builds', label: 'Builds', description: "A job's newest builds, for compare queries" },
];

/**
 * The text fields a query of this type cannot run without, on this source (the backend checks
 * the same). A job is named project:jobset:job, except in a local Nix store, where `job` alone
 * (a derivation name or glob) names the builds. Evaluations and jobs belong to a jobset.
 */
export function requiredFields(queryType: QueryType, source: Source = DEFAULT_SOURCE): TextField[] {
  const build: TextField[] = source === 'store' || source === 'nixbuild' ? ['job'] : ['project', 'jobset', 'job'];
  switch (queryType) {
    case 'compare':
      return [...build, 'base'];
    case 'aggregate':
      return ['project', 'jobset', 'job'];
    case 'artifact':
      return [...build, 'product', 'path'];
    case 'metric':
      return [...build, 'metric'];
    case 'builds':
      return build;
    case 'evals':
    case 'jobs':
      return ['project', 'jobset'];
  }
}
