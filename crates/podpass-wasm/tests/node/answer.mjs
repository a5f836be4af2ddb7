// What every build in every host must answer alike: a login's outcome and trace and, when it is
// allowed, the ACL decision on each path, as plain JSON. It imports nothing, so the runtimes'
// test (tests/runtimes) can load it beside the package in Deno and Bun.

/** The paths an allowed login's token is asked about (operation `read`). */
export const paths = ["secret/data/grade-api/db", "secret/data/payment/db", "secret/metadata/grade-api/db"];

/** A login result and, when allowed, each path's decision, as plain JSON. */
export function answer(engine, result) {
  const login = JSON.parse(JSON.stringify({ outcome: result.outcome, trace: result.trace }));
  const decisions =
    result.outcome.result === "allowed"
      ? paths.map((path) => engine.authorize(result, { operation: "read", path }))
      : [];
  return { login, decisions: JSON.parse(JSON.stringify(decisions)) };
}
