import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextCertState, type CertState } from '../../src/core/certificate.ts';
import { certificateMessage } from '../../src/core/messages.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

describe('certificate expiry warnings', () => {
  it('warns once at the window, once more at 3 days, never again for that certificate', () => {
    const expires = T0 + 30 * DAY;
    let state: CertState | undefined;
    const notices: string[] = [];
    for (let day = 0; day <= 31; day++) {
      const r = nextCertState(state, expires, T0 + day * DAY, 14);
      state = r.state;
      if (r.notice) notices.push(`${day}:${r.notice.stage}`);
    }
    assert.deepEqual(notices, ['16:soon', '27:final']);
  });

  it('starts over for a renewed certificate, and says nothing while it is far from expiry', () => {
    const old = nextCertState(undefined, T0 + 2 * DAY, T0, 14);
    assert.equal(old.notice?.stage, 'final', 'first seen inside the last days: one warning, the final one');
    const renewed = nextCertState(old.state, T0 + 90 * DAY, T0 + DAY, 14);
    assert.equal(renewed.notice, undefined);
    assert.deepEqual(renewed.state, { expiresAt: T0 + 90 * DAY });
    const later = nextCertState(renewed.state, T0 + 90 * DAY, T0 + 77 * DAY, 14);
    assert.equal(later.notice?.stage, 'soon');
  });

  it('changes nothing in a round without a certificate, and keeps the same object when nothing changed', () => {
    const state: CertState = { expiresAt: T0 + 60 * DAY };
    assert.equal(nextCertState(state, undefined, T0, 14).state, state);
    assert.equal(nextCertState(state, T0 + 60 * DAY, T0, 14).state, state);
    assert.equal(nextCertState(undefined, T0 - DAY, T0, 14).notice, undefined, 'expired: the check itself fails, no warning');
  });

  it('says the date and how long is left', () => {
    const m = certificateMessage('api.example.com', 'https://api.example.com/', 'cert-1', { type: 'certificate', stage: 'soon', expiresAt: Date.UTC(2026, 11, 10, 14, 0), at: Date.UTC(2026, 10, 27, 9, 0) });
    assert.equal(m.title, 'The certificate of api.example.com expires in 13 days, on 2026-12-10 14:00 UTC.');
    assert.equal(m.visibility, 'channel');
  });
});
