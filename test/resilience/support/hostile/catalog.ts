/**
 * Strings every input of the API must survive: injection payloads for the stores and
 * renderers behind it, and Unicode that trips naive length, trimming and display code.
 */
export const injectionStrings = [
  "' OR '1'='1",
  "' OR 1=1 -- ",
  '" OR ""="',
  '1; DROP TABLE invoices; --',
  "'; DELETE FROM users; --",
  "admin'--",
  "' UNION SELECT username, password_hash FROM users --",
  '1 AND SLEEP(5)',
  "'; WAITFOR DELAY '0:0:5' --",
  '\\',
  "\\'",
  '%27%20OR%201%3D1',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}',
  '${7*7}',
  '#{7*7}',
  '<%= 7*7 %>',
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  'file:///etc/passwd',
  'http://169.254.169.254/latest/meta-data/',
  '%s%s%s%s%n',
  '%00',
  'a\r\nSet-Cookie: session=stolen',
  '{"$gt": ""}',
  '$where: 1 == 1',
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  'true',
  '[]',
  '{}',
];

export const unicodeStrings = [
  'a\u0000b',
  '\u0000',
  'abc\u202Edcba', // right-to-left override
  '\u200B\u200B\u200B\u200B', // zero-width spaces only
  '\u200Dzero\u200Cwidth',
  '\uFEFFbom',
  '\u00A0\u00A0\u00A0', // no-break spaces only
  '\u3000\u3000', // ideographic spaces only
  '\u2028line\u2029para',
  'e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301', // stacked combining marks
  'Z̴̡̢̛̗̘̙̜̝̞̟̠̀́̂̃̄̅̆̇̈̉̊̋̌̍̎̏̐̑̒̓̔̕',
  '👨‍👩‍👧‍👦👨‍👩‍👧‍👦👨‍👩‍👧‍👦',
  '🇰🇷🇰🇷🇰🇷',
  '\uD800', // lone high surrogate (sent escaped in JSON)
  '\uDFFF', // lone low surrogate
  'a\uD800b\uDC00c',
  '\uFFFF\uFFFE',
  '𝕒𝕕𝕞𝕚𝕟',
  'ａｄｍｉｎ', // full-width
  'ADMİN', // dotted capital I
  'İstanbul',
  'ß'.repeat(40),
  '한국어 주소 서울특별시 강남구',
  'مرحبا بالعالم',
  '\t\n\r\v\f',
  '\u001B[31mred\u001B[0m', // ANSI escape
  '\u0007\u0008',
];

/** Numbers at and around the edges of IEEE doubles and of the contract's ranges. */
export const edgeNumbers = [
  0,
  -0,
  -1,
  1,
  0.001,
  0.005,
  0.01,
  0.015,
  0.1 + 0.2,
  1.005,
  2.34,
  9999999.99,
  9999999.995,
  9999999.999,
  10000000,
  99999999.99,
  100000000,
  Number.MAX_SAFE_INTEGER,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  1e21,
  1e-7,
  123456789.123456,
];

/** Numbers written as raw JSON text (not reachable through JSON.stringify). */
export const rawNumberTexts = [
  '1e400',
  '-1e400',
  '1e-400',
  '123456789012345678901234567890',
  '0.000000000000000000000000000001',
  '1E2',
  '1e+2',
  '10.50000000000000000001',
  '-0.0',
  '0e0',
  '9999999.990000000000000001',
];

export const hostileHeaderValues = [
  '',
  ' ',
  'x'.repeat(8000),
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '../../etc/passwd',
  '\u00ff\u00fe\u00fd',
  'value, value',
  '%0d%0aSet-Cookie:%20x=1',
  '${jndi:ldap://127.0.0.1/a}',
];

export const massAssignmentFields: Record<string, unknown> = {
  userId: '00000000-0000-7000-8000-000000000001',
  status: 'SHIPPED',
  price: '1.00',
  pricePerGram: '1.00',
  totalPrice: '0.01',
  role: 'ADMIN',
  isAdmin: true,
  id: '00000000-0000-7000-8000-000000000002',
  orderNumber: 'P-20260101-AAAAAAAA',
  createdAt: '2000-01-01T00:00:00.000Z',
  cancelledAt: null,
  statusHistory: [],
  currency: 'USD',
  changedBy: '00000000-0000-7000-8000-000000000003',
  failedLoginCount: 0,
  passwordHash: '$2b$04$abcdefghijklmnopqrstuv',
};
