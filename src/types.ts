import { DataSourceJsonData, SelectableValue } from '@grafana/data';
import { DataQuery } from '@grafana/schema';

/** What a query asks for; see the query contract in the design notes. */
export type QueryType = 'artifact' | 'metric' | 'builds' | 'evals' | 'jobs';

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
}

export const DEFAULT_QUERY: Partial<NixQuery> = {
  queryType: 'artifact',
  limit: 100,
  timeField: 'timestamp',
};

/** The free-text fields of a query: the ones template variables are interpolated into. */
export const TEXT_FIELDS = ['project', 'jobset', 'job', 'product', 'path', 'metric'] as const;
export type TextField = (typeof TEXT_FIELDS)[number];

/** Where the datasource reads builds from. */
export type Source = 'hydra' | 'hydradb' | 'store' | 'index';

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
}

/** Datasource settings that Grafana stores encrypted and never sends back to the browser. */
export interface NixSecureJsonData {
  hydraPassword?: string;
  databasePassword?: string;
}

export const DEFAULT_SOURCE: Source = 'hydra';

export const QUERY_TYPES: Array<SelectableValue<QueryType>> = [
  { value: 'artifact', label: 'Artifact field', description: 'A JSON field of a build product, per build' },
  { value: 'metric', label: 'Metric', description: 'A Hydra build metric (nix-support/hydra-metrics)' },
  { value: 'builds', label: 'Builds', description: 'One row per build: status, duration, revision' },
  { value: 'evals', label: 'Evaluations', description: 'Evaluations with their commit; for annotations' },
  { value: 'jobs', label: 'Jobs', description: 'Latest status of every job of a jobset' },
];

export const TIME_FIELDS: Array<SelectableValue<TimeField>> = [
  { value: 'timestamp', label: 'Queued', description: 'When the build was queued (registered, in a store)' },
  { value: 'stoptime', label: 'Finished', description: 'When the build finished' },
];

/** The lists the backend serves for pickers and variables (GET …/resources/<name>). */
export type ListResource = 'projects' | 'jobsets' | 'jobs' | 'metrics' | 'products';

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
];

/**
 * The text fields a query of this type cannot run without, on this source (the backend checks
 * the same). A job is named project:jobset:job, except in a local Nix store, where `job` alone
 * (a derivation name or glob) names the builds. Evaluations and jobs belong to a jobset.
 */
export function requiredFields(queryType: QueryType, source: Source = DEFAULT_SOURCE): TextField[] {
  const build: TextField[] = source === 'store' ? ['job'] : ['project', 'jobset', 'job'];
  switch (queryType) {
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
