import React from 'react';
import { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen } from '@testing-library/react';

import { pick } from '../testing/editors';
import { NixDataSourceOptions, NixSecureJsonData } from '../types';
import { ConfigEditor, formatBytes } from './ConfigEditor';

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

  it('asks a Hydra source for its URL, user and password; the password goes to secureJsonData only', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ source: 'hydra' })} onOptionsChange={onOptionsChange} />);

    fireEvent.change(screen.getByLabelText('Hydra URL'), { target: { value: 'https://hydra.example.org' } });
    expect(onOptionsChange.mock.calls[0][0].url).toBe('https://hydra.example.org');

    fireEvent.change(screen.getByLabelText('User'), { target: { value: 'alice' } });
    expect(onOptionsChange.mock.calls[1][0].jsonData).toEqual({ source: 'hydra', hydraUser: 'alice' });

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 's3cret' } });
    const next: Settings = onOptionsChange.mock.calls[2][0];
    expect(next.secureJsonData).toEqual({ hydraPassword: 's3cret' });
    expect(JSON.stringify(next.jsonData)).not.toContain('s3cret');
    expect(screen.queryByLabelText('Database')).not.toBeInTheDocument();
  });

  it('shows a stored password as configured, never its value', () => {
    render(
      <ConfigEditor options={settings({ source: 'hydra' }, { hydraPassword: true })} onOptionsChange={jest.fn()} />
    );
    expect(screen.getByLabelText('Password')).toHaveValue('configured');
    expect(screen.getByLabelText('Password')).toBeDisabled();
  });

  it("asks Hydra's database for the URL (for links), the database URL and its password", () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ source: 'hydradb' })} onOptionsChange={onOptionsChange} />);

    expect(screen.getByLabelText('Hydra URL')).toBeInTheDocument();
    expect(screen.queryByLabelText('User')).not.toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Database'), { target: { value: 'postgres://hydra@db/hydra' } });
    expect(onOptionsChange.mock.calls[0][0].jsonData).toEqual({
      source: 'hydradb',
      database: 'postgres://hydra@db/hydra',
    });
    fireEvent.change(screen.getByLabelText('Database password'), { target: { value: 'pw' } });
    expect(onOptionsChange.mock.calls[1][0].secureJsonData).toEqual({ databasePassword: 'pw' });
  });

  it('switches the source with the picker, keeping the other settings', async () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ hydraUser: 'alice' })} onOptionsChange={onOptionsChange} />);

    await pick('Read builds from', 'Nix store');
    expect(onOptionsChange.mock.calls[0][0].jsonData).toEqual({ source: 'store', hydraUser: 'alice' });
  });

  it('edits the store paths and every limit as numbers', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ source: 'store' })} onOptionsChange={onOptionsChange} />);

    fireEvent.change(screen.getByLabelText('Store directory'), { target: { value: '/data/nix/store' } });
    fireEvent.change(screen.getByLabelText('Nix state directory'), { target: { value: '/data/nix/var/nix' } });
    fireEvent.change(screen.getByLabelText('Timeout (s)'), { target: { value: '60' } });
    fireEvent.change(screen.getByLabelText('Max artifact bytes'), { target: { value: '1048576' } });
    fireEvent.change(screen.getByLabelText('Cache bytes'), { target: { value: '4096' } });
    expect(onOptionsChange.mock.calls.map((call) => call[0].jsonData)).toEqual([
      { source: 'store', storeDir: '/data/nix/store' },
      { source: 'store', nixStateDir: '/data/nix/var/nix' },
      { source: 'store', timeoutSeconds: 60 },
      { source: 'store', maxArtifactBytes: 1048576 },
      { source: 'store', cacheBytes: 4096 },
    ]);
  });

  it('says how much a byte limit is', () => {
    render(<ConfigEditor options={settings({ maxArtifactBytes: 1 << 20 })} onOptionsChange={jest.fn()} />);
    expect(screen.getByText('1 MiB')).toBeInTheDocument();
    expect(screen.getByText('64 MiB')).toBeInTheDocument(); // the cache's default
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(100)).toBe('100 bytes');
  });

  it('asks a nixbuild source for the API token, and offers TLS settings', () => {
    const onOptionsChange = jest.fn();
    render(<ConfigEditor options={settings({ source: 'nixbuild' })} onOptionsChange={onOptionsChange} />);

    expect(screen.getByLabelText('API URL')).toBeTruthy();
    expect(screen.queryByLabelText('Database')).toBeNull();
    fireEvent.change(screen.getByPlaceholderText('token'), { target: { value: 'biscuit' } });
    const next: Settings = onOptionsChange.mock.calls[0][0];
    expect(next.secureJsonData?.nixbuildToken).toBe('biscuit');
    expect(screen.getByLabelText('Skip TLS verify')).toBeTruthy();
  });

  it('keeps TLS verification on until asked, and takes a CA certificate as a secret', () => {
    const onOptionsChange = jest.fn();
    const { rerender } = render(
      <ConfigEditor options={settings({ source: 'hydra' })} onOptionsChange={onOptionsChange} />
    );
    expect(screen.queryByLabelText('CA certificate')).toBeNull();
    fireEvent.click(screen.getByLabelText('With CA cert'));
    const withCA: Settings = onOptionsChange.mock.calls[0][0];
    expect(withCA.jsonData).toEqual({ source: 'hydra', tlsAuthWithCACert: true });

    rerender(<ConfigEditor options={withCA} onOptionsChange={onOptionsChange} />);
    fireEvent.change(screen.getByPlaceholderText('-----BEGIN CERTIFICATE-----'), { target: { value: 'PEM' } });
    const next: Settings = onOptionsChange.mock.calls[1][0];
    expect(next.secureJsonData?.tlsCACert).toBe('PEM');
    expect(next.jsonData.tlsSkipVerify).toBeUndefined();
  });

  it('shows no TLS settings for database and store sources', () => {
    render(<ConfigEditor options={settings({ source: 'hydradb' })} onOptionsChange={jest.fn()} />);
    expect(screen.queryByLabelText('Skip TLS verify')).toBeNull();
  });
});
