import { NixQuery, QUERY_TYPES, QueryType, TIME_FIELDS, TimeField } from './types';

const queryTypes = QUERY_TYPES.map((option) => option.value);
const timeFields = TIME_FIELDS.map((option) => option.value);

/**
 * Brings a saved query to the current query model, so panels saved by older versions (or
 * written by hand) keep working. It runs in the query editor and before every query
 * (applyTemplateVariables, filterQuery), and changes only what the current model cannot use:
 *
 * - no `queryType` (or an empty one): `artifact`, the type every query had before there were others;
 *   a known type in other letter case (`Metric`) is lower-cased; an unknown one is kept, so the
 *   backend's error names it;
 * - `limit` saved as a string (`"200"`) or a fraction: the whole number; anything that is not a
 *   positive number is dropped, which means the default (100);
 * - a `timeField` that is not `timestamp` or `stoptime`: `timestamp` (the default).
 *
 * No field has ever been renamed, so there are no legacy field names to map. Fields the query
 * does not have are not added (defaults are the backend's), and a query that needs no change is
 * returned as it is.
 */
export function migrateQuery<Q extends NixQuery>(query: Q): Q {
  const saved = query as Q & { queryType?: unknown; limit?: unknown; timeField?: unknown };
  const patch: Partial<NixQuery> = {};
  const drop: Array<keyof NixQuery> = [];

  const queryType = migrateQueryType(saved.queryType);
  if (queryType !== saved.queryType) {
    patch.queryType = queryType as QueryType;
  }

  if (saved.limit !== undefined) {
    const limit = migrateLimit(saved.limit);
    if (limit === undefined) {
      drop.push('limit');
    } else if (limit !== saved.limit) {
      patch.limit = limit;
    }
  }

  const timeField: unknown = saved.timeField;
  if (timeField !== undefined && !isTimeField(timeField)) {
    const lower = typeof timeField === 'string' ? timeField.trim().toLowerCase() : '';
    patch.timeField = isTimeField(lower) ? lower : 'timestamp';
  }

  if (Object.keys(patch).length === 0 && drop.length === 0) {
    return query;
  }
  const migrated: Q = { ...query, ...patch };
  for (const key of drop) {
    delete migrated[key];
  }
  return migrated;
}

function migrateQueryType(saved: unknown): unknown {
  if (saved === undefined || saved === null || saved === '') {
    return 'artifact';
  }
  if (typeof saved === 'string') {
    const lower = saved.trim().toLowerCase();
    if (isQueryType(lower)) {
      return lower;
    }
  }
  return saved;
}

/** A positive whole number of builds, or undefined for "the default". */
function migrateLimit(saved: unknown): number | undefined {
  const limit = typeof saved === 'string' && saved.trim() !== '' ? Number(saved) : saved;
  if (typeof limit !== 'number' || !Number.isFinite(limit)) {
    return undefined;
  }
  const whole = Math.trunc(limit);
  return whole > 0 ? whole : undefined;
}

export function isQueryType(value: unknown): value is QueryType {
  return queryTypes.includes(value as QueryType);
}

function isTimeField(value: unknown): value is TimeField {
  return timeFields.includes(value as TimeField);
}
