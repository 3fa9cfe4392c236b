import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { adminAddress, isLoopback, parseListen } from './admin-address.js';

describe('admin listen address', () => {
  it('parses host:port, [v6]:port and :port; empty is off', () => {
    expect(parseListen('127.0.0.1:9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':9464')).toEqual({ host: '', port: 9464 });
    expect(parseListen('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(parseListen('  ')).toBeNull();
    for (const bad of ['9464', '127.0.0.1', '1.2.3.4:70000', '::1:9464', 'host:port'])
      expect(() => parseListen(bad), bad).toThrow(ConfigError);
  });

  it('knows the loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '', '::', '10.0.0.1', 'example.com', '128.0.0.1'])
      expect(isLoopback(h), h).toBe(false);
  });

  it('refuses a non-loopback bind without a token', () => {
    expect(adminAddress({ listen: '127.0.0.1:9464', token: '' })).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(adminAddress({ listen: '', token: '' })).toBeNull();
    expect(adminAddress({ listen: '0.0.0.0:9464', token: 's3cret' })).toEqual({
      host: '0.0.0.0',
      port: 9464,
    });
    for (const listen of ['0.0.0.0:9464', ':9464', '[::]:9464', '192.168.1.5:9464']) {
      expect(() => adminAddress({ listen, token: '' })).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID', place: 'admin.listen' }),
      );
    }
  });
});
