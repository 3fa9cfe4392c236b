/** Which endpoint a request is for, and the log line the stand-in keeps of it. */

export type Route =
  | 'token'
  | 'metadata'
  | 'users'
  | 'delta'
  | 'groups'
  | 'members'
  | 'transitiveMembers'
  | 'other';

export interface LoggedRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  readonly route: Route;
  /** Page of a listing, when the request was one. */
  page?: number;
  status: number;
  readonly consistencyLevel: string | undefined;
  readonly authorization: boolean;
  readonly clientRequestId: string | undefined;
  fault?: string;
}

export function routeOf(method: string, path: string): Route {
  if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) return 'token';
  if (/^\/[^/]+\/v2\.0\/\.well-known\/openid-configuration$/.test(path)) return 'metadata';
  if (method !== 'GET') return 'other';
  if (path === '/v1.0/users') return 'users';
  if (path === '/v1.0/users/delta') return 'delta';
  if (path === '/v1.0/groups') return 'groups';
  const m = /^\/v1\.0\/groups\/[^/]+\/(members|transitiveMembers)(\/microsoft\.graph\.user)?$/.exec(path);
  if (m) return m[1] as 'members' | 'transitiveMembers';
  return 'other';
}

/** Every /v1.0 route (not the STS's). */
export const isGraphRoute = (r: Route): boolean => r !== 'token' && r !== 'metadata';
