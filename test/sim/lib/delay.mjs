// FAKE_SIM_DELAY_MS: every fake tool of the simulated Mac waits this long when it starts, so that a benchmark
// (npm run bench) can give each external call the cost of a real one (a `limactl shell` round trip is about
// 100 ms on a Mac). Imported first by each Node fake; the shell fakes do the same in two lines. Unset or 0:
// no wait, as in the tests.
const ms = Number(process.env.FAKE_SIM_DELAY_MS);
if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
