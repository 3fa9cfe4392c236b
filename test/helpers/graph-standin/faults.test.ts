/** Which request a fault lands on, and the answer of a status fault. */
import { describe, expect, it } from 'vitest';
import { FaultList, statusFaultReply } from './faults.js';
import { routeOf } from './routes.js';

describe('faults', () => {
  it('takes the first matching fault with hits left; graph means every /v1.0 route', () => {
    const faults = new FaultList();
    faults.set([
      { route: 'users', page: 2, action: { type: 'reset' } },
      { route: 'graph', times: 2, action: { type: 'delay', ms: 1 } },
    ]);
    expect(faults.take('token', undefined)).toBeUndefined();
    expect(faults.take('users', 2)?.type).toBe('reset');
    expect(faults.take('users', 2)?.type).toBe('delay');
    expect(faults.take('delta', 1)?.type).toBe('delay');
    expect(faults.take('users', 2)).toBeUndefined();
  });

  it('answers a status fault as Graph, or as the STS on the token route', () => {
    const graph = statusFaultReply({ type: 'status', status: 429, retryAfter: '2' }, 'users');
    expect([graph.status, graph.headers]).toEqual([429, { 'retry-after': '2' }]);
    expect(graph.body).toMatchObject({
      error: { code: 'TooManyRequests', message: 'Please retry again later.' },
    });
    const sts = statusFaultReply({ type: 'status', status: 503, retryAfter: '1' }, 'token');
    expect([sts.status, sts.headers]).toEqual([503, { 'retry-after': '1' }]);
    expect(sts.body).toMatchObject({ error: 'temporarily_unavailable', error_codes: [0] });
    expect(statusFaultReply({ type: 'status', status: 418 }, 'groups').body).toMatchObject({
      error: { code: 'UnknownError' },
    });
  });

  it('routes requests by method and path', () => {
    expect(routeOf('POST', '/t/oauth2/v2.0/token')).toBe('token');
    expect(routeOf('GET', '/t/oauth2/v2.0/token')).toBe('other');
    expect(routeOf('GET', '/t/v2.0/.well-known/openid-configuration')).toBe('metadata');
    expect(routeOf('GET', '/v1.0/groups/g/transitiveMembers/microsoft.graph.user')).toBe('transitiveMembers');
    expect(routeOf('DELETE', '/v1.0/users')).toBe('other');
  });
});
