/**
 * cdktf records a complete creation stack trace (Error.stackTraceLimit = MAX) for every token it makes; the
 * traces are only ever shown in token-resolution error messages, and capturing and formatting tens of
 * thousands of them is the largest cost of synthesizing 69+ stacks (about half of it). Importing this module
 * first skips the captures made by cdktf's own stack-trace helper (it then records an empty trace); every
 * other Error keeps its normal stack. Set TRIBUTARY_FULL_STACK_TRACES=1 to keep them when debugging a synth
 * error.
 */
if (!process.env.TRIBUTARY_FULL_STACK_TRACES) {
  const capture = Error.captureStackTrace.bind(Error);
  Error.captureStackTrace = function captureUnlessCdktfToken(target: object, constructorOpt?: Function): void {
    // cdktf calls Error.captureStackTrace(object, captureStackTrace) from tokens/private/stack-trace.js.
    if (constructorOpt?.name === 'captureStackTrace' && 'stack' in target) {
      (target as { stack: string }).stack = '';
      return;
    }
    capture(target, constructorOpt);
  };
}
export {};
