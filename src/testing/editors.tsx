/**
 * Helpers for the editors' tests: a datasource whose resources are the golden answers, a
 * template service with a few variables, and driving Grafana's Select the way a user does.
 */
import { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';
import { act, fireEvent, screen, within } from '@testing-library/react';

import { DataSource } from '../datasource';
import { NixDataSourceOptions } from '../types';
import { goldenResource } from './backend';

/** Variables of the dashboard the editors run in, and their values. */
export const VARIABLES: Record<string, string> = { project: 'bench', jobset: 'main', job: 'bench' };

export function installTemplateSrv(variables: Record<string, string> = VARIABLES): void {
  setTemplateSrv({
    replace: (target?: string, scopedVars?: ScopedVars) =>
      (target ?? '').replace(/\$(\w+)/g, (whole, name: string) => {
        const scoped = scopedVars?.[name]?.value;
        return typeof scoped === 'string' ? scoped : (variables[name] ?? whole);
      }),
    getVariables: () => Object.keys(variables).map((name) => ({ name, type: 'query', label: name })),
  } as unknown as TemplateSrv);
}

/** A datasource whose getResource answers from the golden files; the spy records every call. */
export function goldenDataSource(jsonData: NixDataSourceOptions = {}) {
  const datasource = new DataSource({
    uid: 'test-uid',
    type: 'nixci-artifacts-datasource',
    name: 'Hydra',
    jsonData,
  } as DataSourceInstanceSettings<NixDataSourceOptions>);
  const getResource = jest
    .spyOn(datasource, 'getResource')
    .mockImplementation((path: string, params?: Record<string, string>) => goldenResource(path, params) as never);
  return { datasource, getResource };
}

/** The [path, params] of every resource call made so far. */
export function resourceCalls(getResource: jest.SpyInstance): Array<[string, Record<string, string>]> {
  return getResource.mock.calls.map(([path, params]) => [path, params]);
}

/** Lets the answers already given (golden ones come at once) and their renders land. */
export async function settle(): Promise<void> {
  await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
}

/** Opens the select labelled so, once its list has come, and returns its options' elements. */
export async function openSelect(label: string): Promise<HTMLElement[]> {
  await settle();
  fireEvent.keyDown(screen.getByLabelText(label), { key: 'ArrowDown' });
  await settle();
  return screen.findAllByRole('option');
}

/** Opens the select labelled so and clicks the option showing exactly this text. */
export async function pick(label: string, text: string): Promise<void> {
  const options = await openSelect(label);
  const option = options.find((o) => within(o).queryByText(text) !== null);
  if (!option) {
    throw new Error(`${label} offers no ${text}: ${options.map((o) => o.textContent).join(', ')}`);
  }
  fireEvent.click(option);
  await settle();
}

/** Types text into the select labelled so and keeps it with Enter (a custom value). */
export async function typeInSelect(label: string, text: string): Promise<void> {
  await settle();
  const input = screen.getByLabelText(label);
  fireEvent.change(input, { target: { value: text } });
  await settle();
  fireEvent.keyDown(input, { key: 'Enter' });
  await settle();
}

/** The labels of the options a select offers. */
export function optionLabels(options: HTMLElement[]): string[] {
  return options.map((o) => o.querySelector('span')?.textContent ?? o.textContent ?? '');
}
