/** The stand-in's query rules as plain functions: a URL in, the option (or Graph's 400) out. */
import { describe, expect, it } from 'vitest';
import { Reply } from './errors.js';
import { makeUser } from './fixtures.js';
import { parseFilter, parseSelect, parseTop, projectUser, validUserProperty } from './query.js';

const u = (query: string): URL => new URL(`https://h/v1.0/users?${query}`);

function thrown(f: () => unknown): Reply {
  try {
    f();
  } catch (e) {
    if (e instanceof Reply) return e;
    throw e;
  }
  throw new Error('no Reply thrown');
}

const errorOf = (r: Reply): unknown => (r.body as { error: unknown }).error;

describe('query options', () => {
  it('reads $select and names the first unknown property', () => {
    expect(parseSelect(u(''), validUserProperty, 'microsoft.graph.user')).toBeUndefined();
    expect(parseSelect(u('$select=id, mail,,extension_x_y'), validUserProperty, 't')).toEqual([
      'id',
      'mail',
      'extension_x_y',
    ]);
    const r = thrown(() => parseSelect(u('$select=id,skills'), validUserProperty, 'microsoft.graph.user'));
    expect([r.status, errorOf(r)]).toEqual([
      400,
      expect.objectContaining({
        message: "Could not find a property named 'skills' on type 'microsoft.graph.user'.",
      }),
    ]);
  });

  it('bounds $top to 1..999 with a default of 100', () => {
    expect(parseTop(u(''))).toBe(100);
    expect(parseTop(u('$top=999'))).toBe(999);
    for (const bad of ['0', '1000', '2.5', 'x'])
      expect(thrown(() => parseTop(u(`$top=${bad}`))).status).toBe(400);
  });

  it('needs ConsistencyLevel and $count for advanced filters, and for any filter on members', () => {
    const q = "$filter=endsWith(mail,'@x')";
    expect(errorOf(thrown(() => parseFilter(u(q), true, false)))).toMatchObject({
      message: expect.stringMatching(/^Operator 'endsWith'/),
    });
    expect(parseFilter(u(`${q}&$count=true`), true, false)?.advanced).toBe(true);
    expect(parseFilter(u("$filter=mail eq 'a'"), false, false)?.advanced).toBe(false);
    expect(errorOf(thrown(() => parseFilter(u("$filter=mail eq 'a'"), false, true)))).toMatchObject({
      message: expect.stringMatching(/^Operator 'filter on members'/),
    });
    expect(errorOf(thrown(() => parseFilter(u('$filter=mail gt 1'), true, false)))).toMatchObject({
      code: 'Request_UnsupportedQuery',
    });
  });

  it("follows Microsoft's per-property table: some properties need advanced parameters even for eq", () => {
    const advanced = (q: string): URL => u(`${q}&$count=true`);
    for (const q of [
      "$filter=companyName eq 'Contoso'",
      "$filter=employeeType eq 'Employee'",
      "$filter=onPremisesExtensionAttributes/extensionAttribute1 eq 'x'",
      "$filter=startsWith(employeeType,'Emp')",
    ]) {
      expect(errorOf(thrown(() => parseFilter(u(q), false, false)))).toMatchObject({
        code: 'Request_UnsupportedQuery',
        message: expect.stringMatching(
          /^Unsupported or invalid query filter clause specified for property '/,
        ),
      });
      expect(parseFilter(advanced(q), true, false)?.advanced).toBe(true);
    }
    // Served by default, and also in advanced mode.
    for (const q of ["$filter=givenName eq 'Ada'", "$filter=startsWith(employeeId,'10')"]) {
      expect(parseFilter(u(q), false, false)?.advanced).toBe(false);
      expect(parseFilter(advanced(q), true, false)).toBeDefined();
    }
    // Refused whatever the headers: startsWith on an extension attribute, a property Graph does not index.
    for (const q of [
      "$filter=startsWith(onPremisesExtensionAttributes/extensionAttribute2,'A')",
      "$filter=onPremisesExtensionAttributes/extensionAttribute16 eq 'x'",
      "$filter=endsWith(givenName,'a')",
      "$filter=businessPhones eq '1'",
    ]) {
      const r = thrown(() => parseFilter(advanced(q), true, false));
      expect([r.status, errorOf(r)]).toEqual([
        400,
        expect.objectContaining({ code: 'Request_UnsupportedQuery' }),
      ]);
    }
  });

  it('projects a user: id first, unset properties null, unset collections []', () => {
    const user = makeUser(1);
    expect(projectUser(user, ['mail', 'id', 'businessPhones', 'jobTitle'])).toEqual({
      id: user.id,
      mail: user.mail,
      businessPhones: [],
      jobTitle: null,
    });
  });
});
