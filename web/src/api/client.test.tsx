// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { ApiError, errorFrom } from './client';

const answer = (status: number, body: unknown) => new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, statusText: 'Conflict', headers: { 'content-type': 'application/json' } });

describe('errorFrom', () => {
  it("keeps the API's code, words and details", async () => {
    const e = await errorFrom(answer(409, { code: 'CL_CONFLICT', message: 'zoe is in the people directory already', details: { name: 'zoe' } }));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('CL_CONFLICT');
    expect(e.message).toBe('zoe is in the people directory already');
    expect(e.details).toEqual({ name: 'zoe' });
  });

  it('keeps the fields a refused input names', async () => {
    const e = await errorFrom(answer(400, { code: 'CL_BAD_INPUT', message: 'invalid input: reason: required', details: { fields: [{ field: 'reason', message: 'required' }] } }));
    expect(e.fields).toEqual([{ field: 'reason', message: 'required' }]);
  });

  it('says the status when the body is not the API’s (a proxy page)', async () => {
    const e = await errorFrom(answer(502, '<html>bad gateway</html>'));
    expect(e.code).toBe('HTTP_502');
    expect(e.message).toContain('502');
  });
});
