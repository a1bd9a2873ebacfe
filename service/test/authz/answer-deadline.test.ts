import test from 'ava';
import { AnswerDeadline } from '../../src/authz/answer-deadline.js';

test('fast answers keep the deadline at its floor (PDP_TIMEOUT_MS)', (t) => {
  const deadline = new AnswerDeadline({ floorMs: 50, ceilingMs: 500 });
  t.is(deadline.ms, 50);
  for (let i = 0; i < 1000; i++) deadline.record(1 + (i % 5));
  t.is(deadline.ms, 50);
});

test('a grown tail raises the deadline to 4 × the recent p99, up to its ceiling', (t) => {
  const deadline = new AnswerDeadline({ floorMs: 50, ceilingMs: 500 });
  // 2 % of the last 512 answers took 30 ms: the p99 is 30 ms, the deadline 120 ms.
  for (let i = 0; i < 512; i++) deadline.record(i % 50 === 0 ? 30 : 2);
  t.is(deadline.ms, 120);
  for (let i = 0; i < 512; i++) deadline.record(400);
  t.is(deadline.ms, 500, 'never above the ceiling');
});

test('it comes back down once the tail is gone: only the last 512 answers count', (t) => {
  const deadline = new AnswerDeadline({ floorMs: 50, ceilingMs: 500 });
  for (let i = 0; i < 512; i++) deadline.record(100);
  t.is(deadline.ms, 400);
  for (let i = 0; i < 512; i++) deadline.record(2);
  t.is(deadline.ms, 50);
});

test('the deadline is read again every 128 answers, not on each one', (t) => {
  const deadline = new AnswerDeadline({ floorMs: 50, ceilingMs: 500 });
  for (let i = 0; i < 127; i++) deadline.record(100);
  t.is(deadline.ms, 50);
  deadline.record(100);
  t.is(deadline.ms, 400);
});
