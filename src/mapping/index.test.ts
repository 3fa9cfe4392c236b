import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileMapping, describeMappingError, type Mapping, mappingProblem } from './index.js';

function compile(text: string): Mapping {
  const r = compileMapping(text);
  if (!r.ok) throw new Error(describeMappingError(text, r.error));
  return r.mapping;
}

function run(text: string, inputs: Record<string, string> = {}): string | undefined {
  return compile(text).evaluate((name) => (Object.hasOwn(inputs, name) ? inputs[name] : undefined));
}

function errorOf(text: string): { message: string; position: number; fix: string } {
  const r = compileMapping(text);
  if (r.ok) throw new Error(`${text} compiled`);
  return r.error;
}

describe('the README examples', () => {
  it('AD pager holding a hex card number → decimal, zero-padded', () => {
    expect(run('pager | hex2dec | pad(10)', { pager: '1A2B3C4D' })).toBe('0439041101');
    expect(run('pager | trim | hex2dec', { pager: ' 00FF ' })).toBe('255');
  });
  it('a long card number stays exact (BigInt, no float rounding)', () => {
    expect(run('pager | hex2dec', { pager: 'FFFFFFFFFFFFFFFFFF' })).toBe('4722366482869645213695');
  });
  it('employeeNumber zero-padded to 8', () => {
    expect(run('employeeNumber | pad(8)', { employeeNumber: '4711' })).toBe('00004711');
    expect(run('employeeNumber | pad(8)', { employeeNumber: '123456789' })).toBe('123456789');
  });
  it('ID = E- + personnel number', () => {
    expect(run('"E-" + employeeNumber', { employeeNumber: '4711' })).toBe('E-4711');
    expect(run('\'E-\' + column("Personal Nr")', { 'Personal Nr': '12' })).toBe('E-12');
    expect(run('"E-" + employeeNumber', {})).toBeUndefined();
  });
});

describe('values', () => {
  it('reads inputs by name: LDAP attributes, Graph paths, CSV columns with spaces', () => {
    expect(run('mail', { mail: 'a@b.c' })).toBe('a@b.c');
    expect(run('msDS-cloudExtensionAttribute1', { 'msDS-cloudExtensionAttribute1': 'x' })).toBe('x');
    expect(
      run('onPremisesExtensionAttributes/extensionAttribute1', {
        'onPremisesExtensionAttributes/extensionAttribute1': '7',
      }),
    ).toBe('7');
    expect(run('column("E-Mail Adresse")', { 'E-Mail Adresse': 'x@y.z' })).toBe('x@y.z');
    expect(run("attr('first')", { first: 'f' })).toBe('f');
  });
  it('lists its inputs once each, in order', () => {
    expect(compile('first(b, a) + "-" + b + column("c d") | trim').inputs).toEqual(['b', 'a', 'c d']);
    expect(compile('"fixed"').inputs).toEqual([]);
  });
  it('fixed text in either quote, with \\" \\\' \\\\ escapes and other backslashes kept', () => {
    expect(run('"a\\"b"')).toBe('a"b');
    expect(run("'it\\'s'")).toBe("it's");
    expect(run('"a\\\\b"')).toBe('a\\b');
    expect(run('"\\d"')).toBe('\\d');
  });
  it('concatenation is empty when a part is empty', () => {
    expect(run('givenName + " " + sn', { givenName: 'Ada', sn: 'Lovelace' })).toBe('Ada Lovelace');
    expect(run('givenName + " " + sn', { givenName: 'Ada' })).toBeUndefined();
    expect(run('givenName + " " + sn', { givenName: 'Ada', sn: '' })).toBeUndefined();
  });
  it('first() takes the first non-empty choice, each with its own filters', () => {
    expect(run('first(employeeID, employeeNumber) | strip-zeros', { employeeNumber: '007' })).toBe('7');
    expect(run('first(a | trim, b)', { a: '   ', b: 'B' })).toBe('B');
    expect(run('first(a, "none")', {})).toBe('none');
    expect(run('first(a, b)', {})).toBeUndefined();
  });
  it('| applies to everything on its left; parentheses group', () => {
    expect(run('"e-" + n | upper', { n: 'x' })).toBe('E-X');
    expect(run('"e-" + (n | upper)', { n: 'x' })).toBe('e-X');
  });
  it('names of object internals are plain inputs', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'prototype', 'hasOwnProperty']) {
      expect(run(name, {})).toBeUndefined();
      expect(run(name, { [name]: 'v' })).toBe('v');
    }
    expect(errorOf('a | constructor').message).toBe('unknown filter "constructor"');
    expect(errorOf('a | __proto__').message).toBe('unknown filter "__proto__"');
    expect(errorOf('toString(a)').message).toBe('unknown function "toString"');
  });
});

describe('filters', () => {
  it('trim, upper, lower', () => {
    expect(run('a | trim', { a: '  x y  ' })).toBe('x y');
    expect(run('a | trim', { a: '   ' })).toBeUndefined();
    expect(run('a | upper', { a: 'straße' })).toBe('STRASSE');
    expect(run('a | lower', { a: 'ABC' })).toBe('abc');
  });
  it('pad(width) and pad(width, fill)', () => {
    expect(run('a | pad(5)', { a: '42' })).toBe('00042');
    expect(run('a | pad(5, " ")', { a: '42' })).toBe('   42');
    expect(run('a | pad(2)', { a: '12345' })).toBe('12345');
  });
  it('strip-zeros', () => {
    expect(run('a | strip-zeros', { a: '000123' })).toBe('123');
    expect(run('a | strip-zeros', { a: '000' })).toBe('0');
    expect(run('a | strip-zeros', { a: '1000' })).toBe('1000');
  });
  it('replace(pattern, replacement[, "i"]) replaces every match, $1 is a group', () => {
    expect(run('a | replace("-", "")', { a: '12-34-56' })).toBe('123456');
    expect(run('a | replace("(\\w+)@(\\w+)", "$2/$1")', { a: 'ada@lab' })).toBe('lab/ada');
    expect(run('a | replace("x", "y", "i")', { a: 'XxX' })).toBe('yyy');
    expect(run('a | replace("b", "$$&")', { a: 'abc' })).toBe('a$&c');
    expect(run('a | replace("b", "[$&]")', { a: 'abc' })).toBe('a[b]c');
    expect(run('a | replace(".*", "")', { a: 'abc' })).toBeUndefined();
  });
  it('extract(pattern[, group][, "i"])', () => {
    expect(run('a | extract("FC(\\d+)")', { a: 'FC12-4711' })).toBe('12');
    expect(run('a | extract("(\\d+)-(\\d+)", 2)', { a: 'FC12-4711' })).toBe('4711');
    expect(run('a | extract("\\d+")', { a: 'ab123c' })).toBe('123');
    expect(run('a | extract("fc(\\d+)", 1, "i")', { a: 'FC9' })).toBe('9');
    expect(run('a | extract("\\d+")', { a: 'none' })).toBeUndefined();
  });
  it('substr(start[, length]), negative start counts from the end', () => {
    expect(run('a | substr(2)', { a: 'abcdef' })).toBe('cdef');
    expect(run('a | substr(0, 3)', { a: 'abcdef' })).toBe('abc');
    expect(run('a | substr(-4)', { a: '12345678' })).toBe('5678');
    expect(run('a | substr(-10, 2)', { a: 'abc' })).toBe('ab');
    expect(run('a | substr(10)', { a: 'abc' })).toBeUndefined();
  });
  it('hex2dec and dec2hex, BigInt-safe; other input gives empty', () => {
    expect(run('a | hex2dec', { a: '0x1a2b' })).toBe('6699');
    expect(run('a | dec2hex', { a: '6699' })).toBe('1A2B');
    expect(run('a | dec2hex', { a: '4722366482869645213695' })).toBe('FFFFFFFFFFFFFFFFFF');
    expect(run('a | hex2dec', { a: '12G4' })).toBeUndefined();
    expect(run('a | hex2dec', { a: '1A 2B' })).toBeUndefined();
    expect(run('a | dec2hex', { a: '-5' })).toBeUndefined();
    expect(run('a | dec2hex | lower', { a: '255' })).toBe('ff');
  });
});

describe('trace (plan --explain)', () => {
  it('lists every step with its value as written', () => {
    const t = compile('pager | hex2dec | pad(8)').trace((n) => (n === 'pager' ? '1A2B' : undefined));
    expect(t.value).toBe('00006699');
    expect(t.steps).toEqual([
      { step: 'pager', value: '1A2B' },
      { step: 'hex2dec', value: '6699' },
      { step: 'pad(8)', value: '00006699' },
    ]);
  });
  it('says why a step gave nothing', () => {
    const t = compile('pager | hex2dec | pad(8)').trace(() => '12G4');
    expect(t.value).toBeUndefined();
    expect(t.steps.map((s) => s.step)).toEqual([
      'pager',
      'hex2dec ("12G4" is not a hexadecimal number)',
      'pad(8) (nothing to work on)',
    ]);
  });
  it('shows the choices first() tried and the concatenation', () => {
    const t = compile('"E-" + first(a, b)').trace((n) => (n === 'b' ? '7' : undefined));
    expect(t.steps).toEqual([
      { step: 'a', value: undefined },
      { step: 'b', value: '7' },
      { step: 'first(a, b)', value: '7' },
      { step: '"E-" + first(a, b)', value: 'E-7' },
    ]);
  });
  it('shows a parenthesised part as written, parentheses included', () => {
    const t = compile('"E-" + (employeeNumber | pad(6))').trace(() => '42');
    expect(t.steps.at(-1)).toEqual({ step: '"E-" + (employeeNumber | pad(6))', value: 'E-000042' });
  });
  it('gives the same value as evaluate', () => {
    const m = compile('first(a | extract("(\\d+)"), b | upper) + "-" + c | pad(12)');
    const get = (n: string): string | undefined => ({ a: 'x', b: 'y', c: '1' })[n];
    expect(m.trace(get).value).toBe(m.evaluate(get));
  });
});

describe('errors name the position and the fix', () => {
  const cases: [string, number, RegExp, RegExp][] = [
    ['pager | hex2de | pad(8)', 8, /unknown filter "hex2de"/, /did you mean hex2dec/],
    ['pager | HEX2DEC', 8, /unknown filter/, /did you mean hex2dec/],
    ['employeeNumber | pad("8")', 21, /width must be a whole number/, /write a number/],
    ['employeeNumber | pad(0)', 21, /width must be a whole number from 1 to 255/, /number/],
    ['employeeNumber | pad', 17, /pad takes 1 to 2 arguments, not 0/, /pad\(width/],
    ['a | trim(1)', 4, /trim takes 0 arguments, not 1/, /write trim/],
    ['"E-" + ', 7, /expected a value, found end of the expression/, /input name/],
    ['"E- + employeeNumber', 0, /text is not closed/, /end it with "/],
    ['first(a, b', 10, /expected "\)", found end/, /close with/],
    ['(a | trim', 9, /expected "\)"/, /closes this/],
    ['a b', 2, /unexpected name b/, /join values with \+/],
    ['a)', 1, /unexpected "\)"/, /remove it/],
    ['a | ', 4, /expected a filter after \|/, /hex2dec/],
    ['Personal Nr', 9, /unexpected name Nr/, /\+/],
    ['a; b', 1, /unexpected ";"/, /column\(/],
    ['pad(a, 8)', 0, /pad is a filter: it is written after \|/, /employeeNumber \| pad\(8\)/],
    ['upper(a)', 0, /upper is a filter/, /value \| upper/],
    ['a | first(b)', 4, /first\(…\) is a value, not a filter/, /before the \|/],
    ['frist(a, b)', 0, /unknown function "frist"/, /did you mean first/],
    ['column(a)', 7, /column\(…\) takes a name in quotes/, /column\("Personal Nr"\)/],
    ['column("")', 7, /takes a name in quotes/, /column\(/],
    ['8', 0, /a number is not a value here/, /"8"/],
    ['', 0, /the expression is empty/, /leave the key empty/],
    ['   ', 0, /the expression is empty/, /input/],
    ['a | replace("(", "")', 12, /not a valid regular expression/, /correct the pattern/],
    ['a | replace("x", "", "g")', 21, /flags "g" are not supported/, /"i"/],
    ['a | extract("x", 1)', 17, /no \(group\)/, /number/],
    ['a | extract("(x)", 2)', 19, /group must be a whole number from 0 to 1/, /number/],
    ['a | replace("", "")', 12, /pattern is empty/, /pattern/],
    ['a | substr(0, 0)', 14, /length must be a whole number from 1/, /number/],
    ['a | pad(8, "ab")', 11, /fill must be one character/, /pad\(8, "0"\)/],
    ['a | pad(1234567)', 8, /number is too long/, /6 digits/],
    ['a | replace(a, "")', 12, /expected a number or text in quotes, found name a/, /fixed/],
  ];
  it.each(cases)('%s', (text, position, message, fix) => {
    const e = errorOf(text);
    expect(e.message).toMatch(message);
    expect(e.fix).toMatch(fix);
    expect(e.position).toBe(position);
  });
  it('limits a pattern to 200 characters and an expression to 1000', () => {
    expect(errorOf(`a | replace("${'x'.repeat(201)}", "")`).message).toMatch(
      /201 characters long; at most 200/,
    );
    expect(errorOf(`a${' '.repeat(1000)}`).message).toMatch(/at most 1000/);
    expect(errorOf(`${'('.repeat(40)}a${')'.repeat(40)}`).message).toMatch(/nested more than 16/);
  });
  it('refuses a pattern that can backtrack for minutes on one crafted value, at load', () => {
    const e = errorOf('a | replace("^(\\w+,)*x", "")');
    expect(e.message).toMatch(/repeats a group that itself repeats/);
    expect(e.position).toBe(12);
  });
  it('describes an error with the key, a caret line and the fix', () => {
    const text = 'pager | hex2de | pad(8)';
    expect(describeMappingError(text, errorOf(text), 'jobs.main.sources[0].map.id')).toBe(
      [
        'jobs.main.sources[0].map.id: unknown filter "hex2de" (character 9)',
        '  pager | hex2de | pad(8)',
        '          ^',
        `fix: write one of trim, upper, lower, pad, strip-zeros, replace, extract, substr, hex2dec, dec2hex; did you mean hex2dec?`,
      ].join('\n'),
    );
    expect(mappingProblem('')).toBeUndefined();
    expect(mappingProblem('a | pad(8)')).toBeUndefined();
    expect(mappingProblem('a |', 'map.id')).toMatch(/^map\.id: expected a filter/);
  });
});

describe('no expression reaches outside its function set', () => {
  const alphabet = [
    ...'ab|+(),"\' 0189-_/\\',
    'constructor',
    '__proto__',
    'toString',
    'first(',
    'column(',
    'attr(',
    'pad(',
    'replace(',
    'extract(',
    'substr(',
    'hex2dec',
    'dec2hex',
    'strip-zeros',
    '"$&"',
    '"(.*)"',
    '"i"',
  ];
  const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 30 }).map((parts) => parts.join(''));
  const anyText = fc.oneof(text, fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 30 }));
  const values = fc.dictionary(
    fc.constantFrom('a', 'b', 'constructor', '__proto__', 'toString'),
    fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 20 }),
    ),
  );

  it('compiling never throws, evaluation only calls the lookup and yields text or empty', () => {
    fc.assert(
      fc.property(anyText, values, (expression, record) => {
        const r = compileMapping(expression);
        if (!r.ok) {
          expect(r.error.position).toBeGreaterThanOrEqual(0);
          expect(r.error.position).toBeLessThanOrEqual(Math.max(expression.length, 1000));
          expect(r.error.fix.length).toBeGreaterThan(0);
          return;
        }
        const asked: string[] = [];
        const get = (name: unknown): string | undefined => {
          expect(typeof name).toBe('string');
          asked.push(name as string);
          return Object.hasOwn(record, name as string) ? record[name as string] : undefined;
        };
        const v = r.mapping.evaluate(get);
        const t = r.mapping.trace(get);
        for (const out of [v, t.value]) {
          if (out !== undefined) {
            expect(typeof out).toBe('string');
            expect(out).not.toBe('');
          }
        }
        expect(t.value).toBe(v);
        for (const name of asked) expect(r.mapping.inputs).toContain(name);
      }),
      { numRuns: 3000 },
    );
  });
});
