import { ScopedVars } from '@grafana/data';
import { BackendSrvRequest, getTemplateSrv } from '@grafana/runtime';

import { DEFAULT_SOURCE, ListResource, Source } from './types';

/** One entry of a list resource (projects, jobsets, jobs, metrics, products). */
export interface ResourceItem {
  value: string;
  label?: string;
  description?: string;
}

/** One value a path selects from the sample: the series it would plot, and its value now. */
export interface SampleValue {
  series: string;
  value: number;
}

/** The `sample` resource: the product of the job's newest build that has it, and the path applied. */
export interface Sample {
  build: number;
  buildUrl?: string;
  product: string;
  /** the product's JSON; absent when it is too large to preview (`truncated`) */
  json?: unknown;
  truncated?: boolean;
  values: SampleValue[];
  /** whether the path selects anything (false when no path was given) */
  matched: boolean;
}

export type JobField = 'project' | 'jobset' | 'job';

/** Query fields a resource call reads; they may hold template variables. */
export type ResourceFields = Partial<Record<JobField | 'product' | 'path', string>>;

/** The parameters each list takes, in the order the backend's routes name them. */
export const RESOURCE_PARAMS: Record<ListResource, JobField[]> = {
  projects: [],
  jobsets: ['project'],
  jobs: ['project', 'jobset'],
  metrics: ['project', 'jobset', 'job'],
  products: ['project', 'jobset', 'job'],
  builds: ['project', 'jobset', 'job'],
};

/** The part of DataSourceWithBackend the client uses. */
export interface ResourceBackend {
  getResource<T>(path: string, params?: Record<string, string>, options?: Partial<BackendSrvRequest>): Promise<T>;
}

const LIST_MAX_AGE_MS = 5 * 60_000;
const SAMPLE_MAX_AGE_MS = 60_000;

/**
 * Typed client of the backend's resources for the editors. Template variables in the fields are
 * replaced before calling; a call whose parameters are not all there is not made (lists answer
 * empty). Answers are kept per datasource instance for a few minutes, so editors, pickers and
 * re-renders never repeat a call with the same parameters; a failed call is not kept.
 */
export class ResourceClient {
  private readonly answers = new Map<string, { at: number; answer: Promise<unknown> }>();

  constructor(
    private readonly backend: ResourceBackend,
    private readonly source: Source = DEFAULT_SOURCE
  ) {}

  /** The parameters of a list call with variables replaced, or undefined while one it needs is empty. */
  listParams(
    resource: ListResource,
    fields: ResourceFields,
    scopedVars?: ScopedVars
  ): Record<string, string> | undefined {
    const params: Record<string, string> = {};
    for (const name of RESOURCE_PARAMS[resource]) {
      const value = interpolate(fields[name], scopedVars);
      if (value) {
        params[name] = value;
      } else if (this.needs(resource, name)) {
        return undefined;
      }
    }
    return params;
  }

  list(resource: ListResource, fields: ResourceFields, scopedVars?: ScopedVars): Promise<ResourceItem[]> {
    const params = this.listParams(resource, fields, scopedVars);
    return params ? this.fetchList(resource, params) : Promise.resolve([]);
  }

  /** A list by parameters as listParams gives them (variables already replaced). */
  fetchList(resource: ListResource, params: Record<string, string>): Promise<ResourceItem[]> {
    return this.get<ResourceItem[]>(resource, params, LIST_MAX_AGE_MS);
  }

  /** The parameters of a sample call, or undefined while the job or the product is missing. */
  sampleParams(fields: ResourceFields, scopedVars?: ScopedVars): Record<string, string> | undefined {
    const params = this.listParams('products', fields, scopedVars);
    const product = interpolate(fields.product, scopedVars);
    if (!params || !product) {
      return undefined;
    }
    const path = interpolate(fields.path, scopedVars);
    return path ? { ...params, product, path } : { ...params, product };
  }

  sample(fields: ResourceFields, scopedVars?: ScopedVars): Promise<Sample> {
    const params = this.sampleParams(fields, scopedVars);
    if (!params) {
      return Promise.reject(new Error('pick a job and a product to preview'));
    }
    return this.fetchSample(params);
  }

  /** A sample by parameters as sampleParams gives them (variables already replaced). */
  fetchSample(params: Record<string, string>): Promise<Sample> {
    return this.get<Sample>('sample', params, SAMPLE_MAX_AGE_MS);
  }

  /** Whether a list cannot be asked for without this parameter; a Nix store names builds by job alone. */
  private needs(resource: ListResource, name: JobField): boolean {
    const ofBuilds = resource === 'metrics' || resource === 'products';
    return !(this.source === 'store' && ofBuilds && name !== 'job');
  }

  private get<T>(path: string, params: Record<string, string>, maxAgeMs: number): Promise<T> {
    const key = `${path}?${new URLSearchParams(params).toString()}`;
    const kept = this.answers.get(key);
    if (kept && Date.now() - kept.at < maxAgeMs) {
      return kept.answer as Promise<T>;
    }
    // errors are shown where the call was made (picker, preview), not as a toast
    const answer = this.backend.getResource<T>(path, params, { showErrorAlert: false, showSuccessAlert: false });
    this.answers.set(key, { at: Date.now(), answer });
    answer.catch(() => {
      if (this.answers.get(key)?.answer === answer) {
        this.answers.delete(key);
      }
    });
    return answer;
  }
}

/** A field with template variables replaced, trimmed; empty for none. */
export function interpolate(value: string | undefined, scopedVars?: ScopedVars): string {
  return value ? getTemplateSrv().replace(value, scopedVars).trim() : '';
}

/**
 * The text to show for a failed resource call: the backend's `{"error": "..."}` when there is one
 * (Grafana's fetch rejects with the parsed body in `data`), else the HTTP status or the message.
 */
export function resourceError(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const { data, status, statusText, message } = err as {
      data?: { error?: unknown; message?: unknown };
      status?: number;
      statusText?: string;
      message?: unknown;
    };
    for (const text of [data?.error, data?.message, message]) {
      if (typeof text === 'string' && text !== '') {
        return text;
      }
    }
    if (status) {
      return `the datasource answered ${status}${statusText ? ` ${statusText}` : ''}`;
    }
  }
  return typeof err === 'string' && err !== '' ? err : 'the request failed';
}
