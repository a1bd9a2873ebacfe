import test from 'ava';
import { CircuitBreaker, CircuitOpenError, type CallOutcome } from '../../src/authz/circuit-breaker.js';

function breakerAt(options: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const clock = { now: 0 };
  const breaker = new CircuitBreaker({
    windowMs: 10_000,
    minimumCalls: 20,
    failureRatio: 0.5,
    openMs: 2_000,
    now: () => clock.now,
    ...options,
  });
  const succeed = () =>
    breaker.run(
      () => Promise.resolve('ok'),
      () => 'failure',
    );
  const fail = (outcome: CallOutcome = 'failure') =>
    breaker.run(
      () => Promise.reject(new Error('down')),
      () => outcome,
    );
  return { clock, breaker, succeed, fail };
}

async function times(n: number, call: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i++) await call().catch(() => undefined);
}

test('below the minimum volume no failure ratio opens the circuit', async (t) => {
  const { breaker, fail } = breakerAt();
  await times(19, fail);
  t.is(breaker.state, 'closed');
  t.deepEqual(breaker.window, { failures: 19, calls: 19 });
  await times(1, fail);
  t.is(breaker.state, 'open');
});

test('failures below the ratio leave it closed; reaching the ratio opens it', async (t) => {
  const { breaker, succeed, fail } = breakerAt();
  for (let i = 0; i < 10; i++) {
    await succeed();
    await succeed();
    await times(1, fail);
  }
  t.is(breaker.state, 'closed', 'a third of 30 calls failing is below one half');
  await times(9, fail);
  t.is(breaker.state, 'closed', '19 of 39');
  await times(1, fail);
  t.is(breaker.state, 'open', '20 of 40');
});

test('the window rolls: failures older than windowMs no longer count', async (t) => {
  const { clock, breaker, fail } = breakerAt();
  await times(15, fail);
  clock.now += 10_000;
  t.deepEqual(breaker.window, { failures: 0, calls: 0 });
  await times(10, fail);
  t.is(breaker.state, 'closed');
  clock.now += 5_000;
  await times(9, fail);
  t.is(breaker.state, 'closed', '19 failures within the last 10 s');
  await times(1, fail);
  t.is(breaker.state, 'open');
});

test('ignored outcomes (load shedding, the caller’s own errors) count for nothing', async (t) => {
  const { breaker, fail } = breakerAt({ minimumCalls: 1 });
  await times(50, () => fail('ignored'));
  t.is(breaker.state, 'closed');
  t.deepEqual(breaker.window, { failures: 0, calls: 0 });
});

test('open: calls fail at once without running; half-open: one trial at a time', async (t) => {
  const { clock, breaker, fail } = breakerAt({ minimumCalls: 1 });
  await times(1, fail);
  let ran = 0;
  const call = () => {
    ran++;
    return Promise.resolve(1);
  };
  await t.throwsAsync(
    breaker.run(call, () => 'failure'),
    { instanceOf: CircuitOpenError },
  );
  t.is(ran, 0);
  clock.now += 2_000;
  t.is(breaker.state, 'half-open');
  let release!: () => void;
  const trial = breaker.run(
    () =>
      new Promise<string>((resolve) => {
        release = () => resolve('trial');
      }),
    () => 'failure',
  );
  await t.throwsAsync(
    breaker.run(call, () => 'failure'),
    { instanceOf: CircuitOpenError },
    'a second call while the trial is out',
  );
  release();
  t.is(await trial, 'trial');
  t.is(breaker.state, 'closed');
  t.deepEqual(breaker.window, { failures: 0, calls: 0 }, 'closing forgets the outage');
});

test('a failed trial opens the circuit for another openMs', async (t) => {
  const { clock, breaker, fail } = breakerAt({ minimumCalls: 1 });
  await times(1, fail);
  clock.now += 2_000;
  await times(1, fail);
  t.is(breaker.state, 'open');
  clock.now += 1_999;
  t.is(breaker.state, 'open');
  clock.now += 1;
  t.is(breaker.state, 'half-open');
});

test('outcomes of calls that were in flight when it opened change nothing', async (t) => {
  const { clock, breaker, fail } = breakerAt({ minimumCalls: 1 });
  let late!: () => void;
  const inFlight = breaker.run(
    () =>
      new Promise<void>((resolve) => {
        late = resolve;
      }),
    () => 'failure',
  );
  await times(1, fail);
  t.is(breaker.state, 'open');
  late();
  await inFlight;
  t.is(breaker.state, 'open', 'a late success does not close it');
  clock.now += 2_000;
  t.is(breaker.state, 'half-open');
});

test('nonsensical thresholds are refused', (t) => {
  t.throws(() => breakerAt({ failureRatio: 0 }), { instanceOf: RangeError });
  t.throws(() => breakerAt({ failureRatio: 1.5 }), { instanceOf: RangeError });
  t.throws(() => breakerAt({ minimumCalls: 0 }), { instanceOf: RangeError });
});
