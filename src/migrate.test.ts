import { migrateQuery } from './migrate';
import { NixQuery } from './types';

/** A query as older versions (or hand-written dashboard JSON) may have saved it. */
const saved = (fields: Record<string, unknown>) => ({ refId: 'A', ...fields }) as unknown as NixQuery;

describe('migrateQuery', () => {
  it('returns a current query as it is', () => {
    const query: NixQuery = { refId: 'A', queryType: 'metric', job: 'x', metric: '*', limit: 5, timeField: 'stoptime' };
    expect(migrateQuery(query)).toBe(query);
  });

  it.each([
    ['missing', saved({}), 'artifact'],
    ['empty', saved({ queryType: '' }), 'artifact'],
    ['null', saved({ queryType: null }), 'artifact'],
    ['in capitals', saved({ queryType: 'Metric' }), 'metric'],
    ['padded', saved({ queryType: ' evals ' }), 'evals'],
    ['unknown, kept for the backend to name', saved({ queryType: 'bogus' }), 'bogus'],
  ])('query type %s', (_, query, expected) => {
    expect(migrateQuery(query).queryType).toBe(expected);
  });

  it.each([
    ['a string', '200', 200],
    ['a padded string', ' 50 ', 50],
    ['a fraction', 12.7, 12],
    ['a fraction in a string', '12.7', 12],
    ['a number', 100, 100],
    ['an empty string', '', undefined],
    ['not a number', 'many', undefined],
    ['zero', 0, undefined],
    ['negative', -3, undefined],
    ['infinite', Infinity, undefined],
    ['null', null, undefined],
  ])('limit as %s', (_, limit, expected) => {
    const migrated = migrateQuery(saved({ queryType: 'builds', limit }));
    expect(migrated.limit).toBe(expected);
    expect('limit' in migrated).toBe(expected !== undefined);
  });

  it.each([
    ['timestamp', 'timestamp'],
    ['stoptime', 'stoptime'],
    ['StopTime', 'stoptime'],
    ['queued', 'timestamp'],
    ['', 'timestamp'],
    [7, 'timestamp'],
  ])('time field %p', (timeField, expected) => {
    expect(migrateQuery(saved({ queryType: 'builds', timeField })).timeField).toBe(expected);
  });

  it('adds no field the query does not have, and keeps every other field', () => {
    const query = saved({ project: 'p', jobset: 'j', job: 'x', product: 'b.json', path: 'a.b', hide: true, key: 'k' });
    expect(migrateQuery(query)).toEqual({ ...query, queryType: 'artifact' });
  });

  it('does not change the query it is given', () => {
    const query = saved({ limit: '200' });
    migrateQuery(query);
    expect(query).toEqual({ refId: 'A', limit: '200' });
  });

  it('is idempotent', () => {
    const once = migrateQuery(saved({ queryType: 'Builds', limit: '20.5', timeField: 'x' }));
    expect(migrateQuery(once)).toBe(once);
    expect(once).toEqual({ refId: 'A', queryType: 'builds', limit: 20, timeField: 'timestamp' });
  });
});
