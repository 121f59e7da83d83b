import React from 'react';
import { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen } from '@testing-library/react';

import { NixDataSourceOptions, NixSecureJsonData } from '../types';
import { ConfigEditor } from './ConfigEditor';

type Settings = DataSourceSettings<NixDataSourceOptions, NixSecureJsonData>;

function settings(jsonData: NixDataSourceOptions, secureJsonFields: Record<string, boolean> = {}): Settings {
  return {
    id: 1,
    uid: 'test-uid',
    orgId: 1,
    name: 'Hydra',
    type: 'nixci-artifacts-datasource',
    typeName: 'Nix CI Artifacts',
    typeLogoUrl: '',
    access: 'proxy',
    url: 'https://hydra.nixos.org',
    user: '',
    database: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    readOnly: false,
    withCredentials: false,
    jsonData,
    secureJsonFields,
    secureJsonData: {},
  };
}

describe('ConfigEditor', () => {
  it('resets a stored password: secureJsonFields false and an empty secureJsonData value', () => {
    const onOptionsChange = jest.fn();
    render(
      <ConfigEditor
        options={settings({ source: 'hydra', hydraUser: 'alice' }, { hydraPassword: true })}
        onOptionsChange={onOptionsChange}
      />
    );

    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));

    expect(onOptionsChange).toHaveBeenCalledTimes(1);
    const next: Settings = onOptionsChange.mock.calls[0][0];
    expect(next.secureJsonFields.hydraPassword).toBe(false);
    expect(next.secureJsonData?.hydraPassword).toBe('');
    expect(next.jsonData).toEqual({ source: 'hydra', hydraUser: 'alice' });
  });

  it('resets the database password of a hydradb source without touching the others', () => {
    const onOptionsChange = jest.fn();
    render(
      <ConfigEditor
        options={settings({ source: 'hydradb' }, { databasePassword: true, hydraPassword: true })}
        onOptionsChange={onOptionsChange}
      />
    );

    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));

    const next: Settings = onOptionsChange.mock.calls[0][0];
    expect(next.secureJsonFields).toEqual({ databasePassword: false, hydraPassword: true });
    expect(next.secureJsonData).toEqual({ databasePassword: '' });
  });

  it('shows only the fields the chosen source uses', () => {
    const { rerender } = render(<ConfigEditor options={settings({ source: 'store' })} onOptionsChange={jest.fn()} />);
    expect(screen.getByPlaceholderText('/nix/store')).toBeInTheDocument();
    expect(screen.queryByPlaceholderText('https://hydra.nixos.org')).not.toBeInTheDocument();
    expect(screen.queryByPlaceholderText('password')).not.toBeInTheDocument();

    rerender(<ConfigEditor options={settings({ source: 'index' })} onOptionsChange={jest.fn()} />);
    expect(screen.getByPlaceholderText(/^postgres:\/\//)).toBeInTheDocument();
    expect(screen.queryByPlaceholderText('/nix/store')).not.toBeInTheDocument();
    expect(screen.queryByPlaceholderText('https://hydra.nixos.org')).not.toBeInTheDocument();
  });

  it('stores a typed limit as a number and a cleared one as unset', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ maxConcurrency: 4 })} onOptionsChange={onOptionsChange} />);
    const box = screen.getByPlaceholderText('8');

    fireEvent.change(box, { target: { value: '16' } });
    expect(onOptionsChange.mock.calls[0][0].jsonData.maxConcurrency).toBe(16);

    fireEvent.change(box, { target: { value: '' } });
    expect(onOptionsChange.mock.calls[1][0].jsonData.maxConcurrency).toBeUndefined();
  });
});
