import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Agent } from 'undici';
import { exchange, type ExchangeOptions } from '../../src/checks/http-exchange.ts';

class Signal extends EventEmitter {
  aborted = false;
  fire() {
    this.aborted = true;
    this.emit('abort');
  }
}

describe('one HTTP exchange through the dispatcher', () => {
  let server: Server;
  let base: URL;
  let connections = 0;
  let requests = 0;
  const agent = new Agent({ keepAliveTimeout: 4_000 });
  before(async () => {
    server = createServer((req, res) => {
      requests++;
      const path = req.url ?? '/';
      if (path === '/hints') {
        res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' });
        res.end('after hints');
      } else if (path.startsWith('/bytes/')) {
        res.end('x'.repeat(Number(path.slice('/bytes/'.length))));
      } else if (path === '/never') {
        // Headers never come: only the signal ends this.
      } else {
        res.setHeader('x-seen', ['a', 'b']);
        res.end('hello');
      }
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  after(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const options = (cap: number, signal = new Signal()): ExchangeOptions & { heads: number[] } => {
    const heads: number[] = [];
    return { method: 'GET', headers: ['user-agent', 'test'], signal, progress: { bytes: 0 }, heads, onHead: (code) => (heads.push(code), cap) };
  };

  it('answers with the status, the parsed headers and the body', async () => {
    const res = await exchange(agent, new URL('/', base), options(1024));
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.headers['x-seen'], ['a', 'b']);
    assert.equal(res.body.toString(), 'hello');
    assert.equal(res.truncated, false);
  });

  it('skips a 103 Early Hints answer and reads the real one', async () => {
    const o = options(1024);
    const res = await exchange(agent, new URL('/hints', base), o);
    assert.equal(res.statusCode, 200);
    assert.equal(res.body.toString(), 'after hints');
    assert.deepEqual(o.heads, [200]);
  });

  it('a body of exactly the cap is whole; one byte more is truncated and the connection dropped', async () => {
    const whole = await exchange(agent, new URL('/bytes/4096', base), options(4096));
    assert.equal(whole.body.length, 4096);
    assert.equal(whole.truncated, false);
    const before = connections;
    const big = await exchange(agent, new URL('/bytes/300000', base), options(4096));
    assert.equal(big.body.length, 4096);
    assert.equal(big.truncated, true);
    // The next request needs a new connection: the truncated one was closed, not drained.
    await exchange(agent, new URL('/', base), options(1024));
    assert.equal(connections, before + 1);
  });

  it('the signal abandons a request still waiting for its headers', async () => {
    const signal = new Signal();
    const pending = exchange(agent, new URL('/never', base), options(1024, signal));
    setTimeout(() => signal.fire(), 50);
    await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
  });

  it('the signal settles a request still queued for a connection at once, not when the connection frees', async () => {
    // One connection, held by a request that never gets its headers: the next one waits in
    // undici's queue, where its onConnect has not been called.
    const single = new Agent({ connections: 1 });
    const holder = new Signal();
    const held = exchange(single, new URL('/never', base), options(1024, holder));
    const queuedSignal = new Signal();
    let outcome: 'pending' | 'aborted' | 'other' = 'pending';
    const queued = exchange(single, new URL('/', base), options(1024, queuedSignal)).then(
      () => (outcome = 'other'),
      (err: Error) => (outcome = err.name === 'AbortError' ? 'aborted' : 'other'),
    );
    await new Promise((r) => setTimeout(r, 50));
    queuedSignal.fire();
    await new Promise((r) => setImmediate(r));
    assert.equal(outcome, 'aborted', 'the queued request must settle when its signal fires');
    holder.fire();
    await assert.rejects(held, (err: Error) => err.name === 'AbortError');
    await queued;
    await single.close();
  });

  it('a signal that fired before the request starts it not at all', async () => {
    const signal = new Signal();
    signal.fire();
    const before = requests;
    await assert.rejects(exchange(agent, new URL('/', base), options(1024, signal)), (err: Error) => err.name === 'AbortError');
    assert.equal(requests, before);
  });
});
